"""A lean MQTT 3.1.1 subscriber for QoS 0 telemetry: a socket, one filter, PUBLISH packets parsed
in bulk from each read.

Telemetry arrives at tens of thousands of messages a second per worker. paho handles each
PUBLISH through several layers of Python (packet object, topic matcher, callback per message),
and that network thread was the worker's limit: the broker dropped what it could not take in
time. A QoS 0 subscription needs little of a client: CONNECT, SUBSCRIBE, then PUBLISH packets
to cut out of the stream and a PINGREQ every half keep-alive. Here a read of up to 1 MiB is
parsed in one loop and handed on as one list of (topic, payload).

Connection failures reconnect with a backoff (telemetry missed meanwhile is lost, as QoS 0
allows). Packets other than PUBLISH, PINGRESP and SUBACK end the connection as a protocol error.
TLS is not handled (the worker's broker address is ``mqtt://`` or ``tcp://``).
"""

from __future__ import annotations

import logging
import select
import socket
import struct
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

READ_BYTES = 1 << 20
MAX_PACKET = 512 * 1024  # telemetry payloads are at most 256 KiB (mqtt.envelope); a bigger one is an error
Messages = list[tuple[str, bytes]]


class ProtocolError(Exception):
    """The broker said something a QoS 0 subscriber cannot accept; the connection is dropped."""


def _string(value: str) -> bytes:
    raw = value.encode()
    if len(raw) > 0xFFFF:
        raise ValueError("an MQTT string is at most 65,535 bytes")
    return struct.pack("!H", len(raw)) + raw


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def connect_packet(client_id: str, *, keepalive: int, username: str | None,
                   password: str | None) -> bytes:
    flags = 0x02  # clean session
    payload = _string(client_id)
    if username is not None:
        flags |= 0x80
        payload += _string(username)
        if password is not None:
            flags |= 0x40
            payload += _string(password)
    body = _string("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive) + payload
    return b"\x10" + _remaining_length(len(body)) + body


def subscribe_packet(packet_id: int, topic_filter: str) -> bytes:
    body = struct.pack("!H", packet_id) + _string(topic_filter) + b"\x00"
    return b"\x82" + _remaining_length(len(body)) + body


PINGREQ = b"\xc0\x00"
DISCONNECT = b"\xe0\x00"
CONNACK_CODES = {1: "unacceptable protocol version", 2: "client id rejected", 3: "server unavailable",
                 4: "bad user name or password", 5: "not authorised"}


Packet = tuple[int, bytes]  # a packet other than PUBLISH: its type and body


def parse(buffer: bytes | bytearray | memoryview, start: int = 0) -> tuple[Messages, list[Packet], int]:
    """Every complete packet in ``buffer`` from ``start``: the PUBLISHes' (topic, payload), the
    other packets as (type, body), and where the first incomplete packet begins."""
    messages: Messages = []
    others: list[Packet] = []
    end = len(buffer)
    pos = start
    while pos + 2 <= end:
        first = buffer[pos]
        # remaining length: 1 to 4 bytes of 7 bits
        length, shift, i = 0, 0, pos + 1
        while True:
            if i >= end:
                return messages, others, pos
            byte = buffer[i]
            length |= (byte & 0x7F) << shift
            i += 1
            if not byte & 0x80:
                break
            shift += 7
            if shift > 21:
                raise ProtocolError("malformed remaining length")
        if length > MAX_PACKET:
            raise ProtocolError(f"a packet of {length} bytes")
        body_end = i + length
        if body_end > end:
            return messages, others, pos
        if first >> 4 == 3:  # PUBLISH
            topic_len = (buffer[i] << 8) | buffer[i + 1]
            topic_end = i + 2 + topic_len
            qos = (first >> 1) & 3
            if qos:
                raise ProtocolError(f"a PUBLISH at QoS {qos} on a QoS 0 subscription")
            if topic_end > body_end:
                raise ProtocolError("a PUBLISH whose topic overruns it")
            messages.append((bytes(buffer[i + 2:topic_end]).decode("utf-8", "replace"),
                             bytes(buffer[topic_end:body_end])))
        else:
            others.append((first >> 4, bytes(buffer[i:body_end])))
        pos = body_end
    return messages, others, pos


class QoS0Subscriber:
    """Subscribes ``topic_filter`` at QoS 0 and hands each read's messages to ``on_messages``
    (on the subscriber's own thread)."""

    def __init__(self, *, host: str, port: int, client_id: str, topic_filter: str,
                 on_messages: Callable[[Messages], None], username: str | None = None,
                 password: str | None = None, keepalive: int = 30,
                 on_subscribed: Callable[[], None] | None = None,
                 reconnect_max_s: float = 10.0) -> None:
        self.host, self.port, self.client_id, self.topic_filter = host, port, client_id, topic_filter
        self.username, self.password, self.keepalive = username, password, keepalive
        self._on_messages = on_messages
        self._on_subscribed = on_subscribed
        self._reconnect_max_s = reconnect_max_s
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._thread = threading.Thread(target=self._run, name="telemetry-mqtt", daemon=True)
        self.connections = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        sock = self._sock
        if sock is not None:
            try:
                sock.sendall(DISCONNECT)
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout=timeout_s)

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                self._session()
                backoff = 0.5
            except (OSError, ProtocolError, TimeoutError) as exc:
                if self._stop.is_set():
                    return
                log.warning("telemetry subscriber: connection to %s:%d lost (%s); again in %.1f s",
                            self.host, self.port, exc, backoff)
            finally:
                sock, self._sock = self._sock, None
                if sock is not None:
                    sock.close()
            if self._stop.wait(backoff):
                return
            backoff = min(backoff * 2, self._reconnect_max_s)

    def _session(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=10)
        self._sock = sock
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * READ_BYTES)
        sock.sendall(connect_packet(self.client_id, keepalive=self.keepalive,
                                    username=self.username, password=self.password))
        buffer = bytearray()
        connack = self._expect(sock, buffer, 2)
        if len(connack) != 2 or connack[1]:
            code = connack[1] if len(connack) == 2 else -1
            raise ProtocolError(f"connection refused: {CONNACK_CODES.get(code, code)}")
        sock.sendall(subscribe_packet(1, self.topic_filter))
        suback = self._expect(sock, buffer, 9)
        if len(suback) < 3 or suback[2] == 0x80:
            raise ProtocolError(f"subscription to {self.topic_filter} refused")
        self.connections += 1
        log.info("telemetry worker subscribed to %s", self.topic_filter)
        if self._on_subscribed is not None:
            self._on_subscribed()
        self._read_loop(sock, buffer)

    def _expect(self, sock: socket.socket, buffer: bytearray, packet_type: int) -> bytes:
        """The body of the next packet, which must be of ``packet_type`` (CONNACK, SUBACK)."""
        deadline = time.monotonic() + 10
        while True:
            messages, others, used = parse(buffer)
            if messages:
                raise ProtocolError("a PUBLISH before the subscription")
            if others:
                kind, body = others[0]
                if kind != packet_type:
                    raise ProtocolError(f"packet type {kind} where {packet_type} was due")
                del buffer[:used]
                return body
            if time.monotonic() > deadline:
                raise TimeoutError(f"no packet of type {packet_type} within 10 s")
            chunk = sock.recv(65536)
            if not chunk:
                raise OSError("the broker closed the connection")
            buffer += chunk

    def _read_loop(self, sock: socket.socket, buffer: bytearray) -> None:
        sock.setblocking(False)
        ping_every = self.keepalive / 2
        next_ping = time.monotonic() + ping_every
        ping_sent_at: float | None = None
        block = bytearray(READ_BYTES)
        view = memoryview(block)
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_ping:
                if ping_sent_at is not None and now - ping_sent_at > self.keepalive:
                    raise TimeoutError("no PINGRESP within the keep-alive")
                sock.sendall(PINGREQ)
                ping_sent_at = ping_sent_at or now
                next_ping = now + ping_every
            ready, _, _ = select.select([sock], [], [], min(1.0, max(0.0, next_ping - now)))
            if not ready:
                continue
            try:
                n = sock.recv_into(view)
            except BlockingIOError:
                continue
            if not n:
                raise OSError("the broker closed the connection")
            if buffer:
                buffer += view[:n]
                messages, others, used = parse(buffer)
                del buffer[:used]
            else:  # the common case: parse the read alone, keep only a partial tail
                messages, others, used = parse(bytes(view[:n]))  # bytes: cheaper slices
                if used < n:
                    buffer += view[used:n]
            for kind, _body in others:
                if kind == 13:  # PINGRESP
                    ping_sent_at = None
                elif kind != 9:  # a late SUBACK is harmless; anything else is not ours
                    raise ProtocolError(f"unexpected packet type {kind}")
            if messages:
                self._on_messages(messages)
