"""The broker's socket for paho, read in large pieces.

paho reads a packet a few bytes at a time: its type, each byte of its length, then its body, a
``recv`` system call each, and a ``select`` before every packet. A worker receiving tens of
thousands of small PUBLISH packets a second spent most of paho's thread in those calls. Here one
``recv`` of up to 64 KiB serves them from memory, and ``pending`` (which paho asks of TLS sockets
already) tells paho's loop to read on without waiting in ``select`` while bytes are buffered.
Everything else goes to the socket itself.
"""

from __future__ import annotations

from typing import Any

READ_BYTES = 64 * 1024


class BufferedReads:
    """A socket (plain or TLS) whose reads are served from one buffer."""

    def __init__(self, sock: Any) -> None:
        self.raw = self._sock = sock
        self._buffer = b""
        self._at = 0

    def recv(self, size: int) -> bytes:
        if self._at >= len(self._buffer):
            data: bytes = self._sock.recv(READ_BYTES)  # BlockingIOError when nothing came, as before
            if not data:
                return data  # the broker closed the connection
            self._buffer, self._at = data, 0
        start = self._at
        self._at = min(start + size, len(self._buffer))
        return self._buffer[start:self._at]

    def pending(self) -> int:
        """Bytes that a ``recv`` returns without asking the socket (and those a TLS socket holds)."""
        inner = self._sock.pending() if hasattr(self._sock, "pending") else 0
        return len(self._buffer) - self._at + int(inner)

    def send(self, data: bytes | bytearray) -> int:
        return int(self._sock.send(data))

    def close(self) -> None:
        self._sock.close()

    def fileno(self) -> int:
        return int(self._sock.fileno())

    def setblocking(self, flag: bool) -> None:
        self._sock.setblocking(flag)

    def __getattr__(self, name: str) -> Any:  # setsockopt, getpeercert, ...
        return getattr(self._sock, name)
