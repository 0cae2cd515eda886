"""A local stand-in for the Telegram Bot API, in its own process so it does not share our GIL.

It checks what a real bot endpoint checks (path with the token, JSON body with chat_id and
text) and answers as the Bot API does.
"""

from __future__ import annotations

import json
import multiprocessing
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "4242:bench-token"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    counter = 0

    def setup(self) -> None:
        super().setup()
        # answer in one segment: without this, Nagle plus delayed ACK adds 40 ms per request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ok = self.path == f"/bot{TOKEN}/sendMessage"
        try:
            data = json.loads(body)
            ok = ok and bool(data.get("chat_id")) and bool(data.get("text"))
        except ValueError:
            ok = False
        Handler.counter += 1
        answer = ({"ok": True, "result": {"message_id": Handler.counter}} if ok else
                  {"ok": False, "error_code": 400, "description": "Bad Request"})
        payload = json.dumps(answer).encode()
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


def _serve(port: int) -> None:
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def start() -> tuple[multiprocessing.Process, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    process.start()
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            multiprocessing.Event().wait(0.05)
    return process, f"http://127.0.0.1:{port}"
