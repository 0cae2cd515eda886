"""A local stand-in for the Grafana HTTP API endpoints that provisioning uses, answering as
Grafana documents them (404 with a JSON message for what does not exist, 401 without a
valid bearer token) and recording every call."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.ports import free_port


class FakeGrafana:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[tuple[str, str, Any, str | None]] = []
        self.folders: dict[str, dict[str, Any]] = {}
        self.datasources: dict[str, dict[str, Any]] = {}
        self.dashboards: dict[str, dict[str, Any]] = {}
        self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeGrafana:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if method == "GET" and path.startswith("/api/folders/"):
            uid = path.rsplit("/", 1)[1]
            return (200, self.folders[uid]) if uid in self.folders else (404, {
                "message": "folder not found"})
        if method == "POST" and path == "/api/folders":
            if not isinstance(body.get("title"), str):
                return 400, {"message": "bad request data"}
            self.folders[body["uid"]] = {"uid": body["uid"], "title": body["title"], "id": 1}
            return 200, self.folders[body["uid"]]
        if method == "GET" and path.startswith("/api/datasources/uid/"):
            uid = path.rsplit("/", 1)[1]
            return (200, self.datasources[uid]) if uid in self.datasources else (404, {
                "message": "Data source not found"})
        if method in ("POST", "PUT") and path.startswith("/api/datasources"):
            for key in ("name", "type", "access", "uid"):
                if key not in body:
                    return 400, {"message": f"missing {key}"}
            self.datasources[body["uid"]] = body
            return 200, {"message": "Datasource added", "id": 1, "name": body["name"]}
        if method == "POST" and path == "/api/dashboards/db":
            board = body.get("dashboard")
            if not isinstance(board, dict) or not board.get("title"):
                return 400, {"message": "Dashboard title cannot be empty"}
            if board.get("uid") in self.dashboards and not body.get("overwrite"):
                return 412, {"message": "version-mismatch", "status": "version-mismatch"}
            if body.get("folderUid") not in self.folders:
                return 400, {"message": "folder not found"}
            self.dashboards[board["uid"]] = body
            return 200, {"status": "success", "uid": board["uid"], "version": 1}
        return 404, {"message": "Not found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                auth = self.headers.get("Authorization")
                fake.calls.append((self.command, self.path, body, auth))
                if auth != f"Bearer {fake.token}":
                    status, answer = 401, {"message": "Unauthorized"}
                else:
                    status, answer = fake.route(self.command, self.path, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, *args: object) -> None:
                pass

        return Handler
