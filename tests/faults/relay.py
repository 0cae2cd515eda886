"""A TCP relay that impairs what it carries, for kernels without netem.

Each direction of each connection is read by one thread and written by another, in order. A
chunk is held for ``delay_s`` after it was read; with ``loss`` p, a chunk is lost with
probability p and "retransmitted" after a timeout that starts at ``rto_s`` and doubles while it
keeps being lost, as TCP does, blocking what follows it (TCP delivers in order).
"""

from __future__ import annotations

import contextlib
import queue
import random
import socket
import threading
import time
from dataclasses import dataclass

CHUNK = 65536


@dataclass
class Impairment:
    delay_s: float = 0.0
    loss: float = 0.0
    rto_s: float = 0.2

    def hold(self, rng: random.Random) -> float:
        """Extra time a chunk waits for its retransmissions."""
        extra, rto = 0.0, self.rto_s
        while self.loss > 0 and rng.random() < self.loss and rto < 60:
            extra += rto
            rto *= 2
        return extra


class Relay:
    """Listens on ``listen`` and forwards every connection to ``target``, impaired as set."""

    def __init__(self, *, listen: tuple[str, int], target: tuple[str, int], seed: int = 7) -> None:
        self.impairment = Impairment()
        self._target = target
        self._rng = random.Random(seed)
        self._server = socket.create_server(listen, reuse_port=False)
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, name="relay-accept", daemon=True).start()

    @property
    def port(self) -> int:
        return int(self._server.getsockname()[1])

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                lane: queue.Queue[tuple[float, bytes]] = queue.Queue()
                threading.Thread(target=self._read, args=(source, lane), daemon=True).start()
                threading.Thread(target=self._write, args=(lane, sink, source), daemon=True).start()

    def _read(self, source: socket.socket, lane: queue.Queue[tuple[float, bytes]]) -> None:
        while True:
            try:
                data = source.recv(CHUNK)
            except OSError:
                data = b""
            lane.put((time.monotonic(), data))
            if not data:
                return

    def _write(
        self, lane: queue.Queue[tuple[float, bytes]], sink: socket.socket, source: socket.socket
    ) -> None:
        while True:
            read_at, data = lane.get()
            if not data:
                break
            due = read_at + self.impairment.delay_s + self.impairment.hold(self._rng)
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                sink.sendall(data)
            except OSError:
                break
        for s in (sink, source):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._stop.set()
        self._server.close()
        for s in self._sockets:
            with contextlib.suppress(OSError):
                s.close()
