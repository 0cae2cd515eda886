"""The broker's socket for paho, read in large pieces, its PUBLISH packets cut out in bulk.

paho reads a packet a few bytes at a time: its type, each byte of its length, then its body, a
``recv`` each, a ``select`` before every packet, then several layers of Python per message (a
packet dict, a message object, a log call, a topic matcher, two locks): about 19 µs a PUBLISH, the
largest part of a worker's CPU when each message holds one event. Here one ``recv`` of up to
64 KiB fills a buffer; ``take_publishes`` cuts the complete MQTT 3.1.1 PUBLISH packets of QoS 0
and 1 at its head out in one loop; paho reads everything else (CONNACK, SUBACK, PUBACK, PINGRESP,
QoS 2, MQTT 5, a packet cut by the read's end, anything malformed) from the same buffer as before,
and ``pending`` (which paho asks of TLS sockets already) keeps its loop reading while bytes wait.
"""

from __future__ import annotations

import struct
from typing import Any

READ_BYTES = 64 * 1024
_HALF = struct.Struct("!H")
Publish = tuple[str, bytes, int, int]  # topic, payload, packet id (0 at QoS 0), QoS


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

    def fill(self) -> bool:
        """Read from the socket when nothing is buffered; whether anything is."""
        if self._at < len(self._buffer):
            return True
        try:
            data: bytes = self._sock.recv(READ_BYTES)
        except OSError:  # nothing yet (TLS's want-read too), or the connection failed: paho's
            return False  # own read meets it again and handles it as before (a lost connection)
        if not data:  # closed: paho's own read sees it and reports the connection lost
            return False
        self._buffer, self._at = data, 0
        return True

    def take_publishes(self) -> list[Publish]:
        """The complete QoS 0 and 1 PUBLISH packets (MQTT 3.1.1) at the buffer's head, consumed;
        stops before the first other packet, or one that is incomplete or malformed."""
        buf, at, end = self._buffer, self._at, len(self._buffer)
        out: list[Publish] = []
        while at + 2 <= end:
            head = buf[at]
            if head & 0xF0 != 0x30 or head & 0x06 > 0x02:  # not a PUBLISH of QoS 0 or 1
                break
            size, body = _remaining_length(buf, at + 1, end)
            if size < 0 or body + size > end:
                break
            qos = (head >> 1) & 0x03
            topic_end = body + 2 + _HALF.unpack_from(buf, body)[0]
            payload_at = topic_end + 2 * qos
            if topic_end == body + 2 or payload_at > body + size:
                break  # an empty topic, or lengths past the packet: paho says what is wrong
            try:
                topic = buf[body + 2:topic_end].decode()
            except UnicodeDecodeError:
                break
            mid = _HALF.unpack_from(buf, topic_end)[0] if qos else 0
            out.append((topic, buf[payload_at:body + size], mid, qos))
            at = body + size
        self._at = at
        return out

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


def _remaining_length(buf: bytes, at: int, end: int) -> tuple[int, int]:
    """A packet's remaining length and where its body starts; (-1, at) when cut or over 4 bytes."""
    size, shift = 0, 0
    for n in range(at, min(at + 4, end)):
        byte = buf[n]
        size |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return size, n + 1
        shift += 7
    return -1, at
