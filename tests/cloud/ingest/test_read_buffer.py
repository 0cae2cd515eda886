"""The broker's socket read in large pieces: paho gets exactly the bytes it asks for, in order,
is told what is buffered, and sees a closed connection and an empty socket as before."""

from __future__ import annotations

import socket
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloud.ingest.read_buffer import READ_BYTES, BufferedReads

pytestmark = pytest.mark.unit


def _pair() -> tuple[BufferedReads, socket.socket]:
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    return BufferedReads(ours), theirs


def test_reads_of_a_few_bytes_are_served_from_one_read_in_order() -> None:
    reads, broker = _pair()
    packets = [bytes([0x32, 5]) + b"abcde", bytes([0x32, 2]) + b"xy"]
    broker.sendall(b"".join(packets))
    got = [reads.recv(1), reads.recv(1), reads.recv(5)]
    assert got == [b"\x32", b"\x05", b"abcde"] and reads.pending() == 4
    assert reads.recv(100) == b"\x32\x02xy" and reads.pending() == 0
    with pytest.raises(BlockingIOError):  # nothing buffered, nothing on the socket: as a socket says
        reads.recv(1)
    broker.close()
    assert reads.recv(1) == b""  # the broker closed the connection
    reads.close()


def test_a_stream_longer_than_a_read_arrives_whole() -> None:
    reads, broker = _pair()
    body = bytes(range(256)) * (3 * READ_BYTES // 256 + 7)
    broker.sendall(struct.pack("!I", len(body)) + body)
    broker.close()
    chunks, size = [], None
    while True:
        try:
            chunk = reads.recv(4 if size is None else 1000)
        except BlockingIOError:
            continue
        if not chunk:
            break
        if size is None:
            size = struct.unpack("!I", chunk)[0]
        else:
            chunks.append(chunk)
    assert size == len(body) and b"".join(chunks) == body


def test_everything_else_goes_to_the_socket() -> None:
    reads, broker = _pair()
    assert reads.fileno() == reads.raw.fileno()
    reads.setblocking(True)
    assert reads.getblocking() is True and reads.send(b"ping") == 4 and broker.recv(10) == b"ping"
    reads.close()
    broker.close()
    assert reads.raw.fileno() == -1



# --- PUBLISH packets cut out in bulk, against paho reading the same stream packet by packet -------

def _packet(head: int, body: bytes) -> bytes:
    size, length = len(body), bytearray()
    while True:
        byte, size = size % 128, size // 128
        length.append(byte | (0x80 if size else 0))
        if not size:
            return bytes([head]) + bytes(length) + body


def _publish(topic: bytes, payload: bytes, *, qos: int, mid: int = 1, flags: int = 0) -> bytes:
    ident = struct.pack("!H", mid) if qos else b""
    return _packet(0x30 | qos << 1 | flags, struct.pack("!H", len(topic)) + topic + ident + payload)


class _Chunks:
    """A non-blocking socket that has received ``chunks``, one after the other."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = [c for c in chunks if c]

    def recv(self, size: int) -> bytes:
        if not self.chunks:
            raise BlockingIOError
        chunk = self.chunks[0]
        self.chunks[0] = chunk[size:]
        if not self.chunks[0]:
            self.chunks.pop(0)
        return chunk[:size]

    def send(self, data: bytes) -> int:
        return len(data)

    def setblocking(self, _: bool) -> None:
        pass

    def close(self) -> None:
        pass

    def fileno(self) -> int:
        return -1


def _received(chunks: list[bytes], *, bulk: bool) -> tuple[list[tuple[str, bytes, int, int]], bool, str]:
    """What reaches the inbox, whether the connection was dropped, and what paho raised."""
    from paho.mqtt.client import Client
    from paho.mqtt.enums import CallbackAPIVersion

    from cloud.ingest.link import CloudLink, _Client

    link = CloudLink("mqtt://127.0.0.1:1", client_id="read-test")
    if bulk:
        client: Client = _Client(CallbackAPIVersion.VERSION2, manual_ack=True, deliver=link._on_publishes)
        client._sock = BufferedReads(_Chunks(chunks))
    else:
        client = Client(CallbackAPIVersion.VERSION2, manual_ack=True)
        client._sock = _Chunks(chunks)  # type: ignore[assignment]
    client.on_message = link._on_message
    raised = ""
    for _ in range(sum(len(c) for c in chunks) + 2):
        if client._sock is None:
            break
        try:
            client.loop_read()
        except UnicodeDecodeError as error:  # a topic that is not UTF-8 (a broker refuses it first)
            raised = type(error).__name__
            break
    got = []
    while not link.inbox.empty():
        got.append(tuple(link.inbox.get_nowait()))
    return got, client._sock is None, raised  # type: ignore[return-value]


PACKETS = [
    _publish(b"posada/v1/hotel/f1/events", b'{"v":1}', qos=1, mid=7),
    _publish(b"posada/v1/hotel/f1/rooms/101/telemetry", b"{}", qos=0),
    _publish(b"posada/v1/hotel/f2/events", b"x" * 300, qos=1, mid=65535),  # a 2-byte length
    _publish(b"posada/v1/hotel/f2/events", b"y" * 20_000, qos=1, mid=2),  # a 3-byte length
    _publish(b"posada/v1/h\xc3\xa9/f1/events", b"", qos=1, mid=3),  # UTF-8 topic, empty payload
    _publish(b"posada/v1/hotel/f1/events", b"dup", qos=1, mid=4, flags=0x08 | 0x01),  # dup, retain
    _publish(b"posada/v1/hotel/f1/events", b"two", qos=2, mid=5),  # paho's way: PUBREC, then PUBREL
    _packet(0x40, struct.pack("!H", 9)),  # a PUBACK of a command
    _packet(0xD0, b""),  # PINGRESP
    _packet(0x90, struct.pack("!H", 1) + b"\x01"),  # SUBACK
]
BAD = [
    _publish(b"", b"no topic", qos=1, mid=6),
    _publish(b"posada/\xff", b"bad topic", qos=1, mid=6),
    _packet(0x32, b"\x00\x09abc"),  # the topic's length runs past the packet
    bytes([0x32, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),  # a length of five bytes
    bytes([0x36, 2, 0, 0]),  # QoS 3
]


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(order=st.lists(st.integers(0, len(PACKETS) - 1), max_size=12), bad=st.none() | st.sampled_from(BAD),
       cuts=st.lists(st.integers(1, 25_000), max_size=6), at=st.integers(0, 12))
def test_a_stream_reaches_the_inbox_as_paho_alone_delivers_it(order: list[int], bad: bytes | None,
                                                              cuts: list[int], at: int) -> None:
    packets = [PACKETS[n] for n in order]
    if bad is not None:
        packets.insert(min(at, len(packets)), bad)
    stream, chunks, start = b"".join(packets), [], 0
    for cut in sorted(cuts):
        chunks.append(stream[start:cut])
        start = max(start, cut)
    chunks.append(stream[start:])
    assert _received(chunks, bulk=True) == _received(chunks, bulk=False)


def test_publishes_are_cut_out_in_bulk_and_the_rest_left_to_paho() -> None:
    reads = BufferedReads(_Chunks([PACKETS[0] + PACKETS[2] + PACKETS[7] + PACKETS[1]]))
    assert reads.fill()
    assert reads.take_publishes() == [("posada/v1/hotel/f1/events", b'{"v":1}', 7, 1),
                                      ("posada/v1/hotel/f2/events", b"x" * 300, 65535, 1)]
    assert reads.take_publishes() == [] and reads.pending() == len(PACKETS[7]) + len(PACKETS[1])


def test_a_failed_connection_is_left_to_paho_which_reports_it_lost() -> None:
    from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

    from cloud.ingest.link import CloudLink, _Client

    class Reset(_Chunks):
        def recv(self, size: int) -> bytes:
            raise ConnectionResetError(104, "Connection reset by peer")

    link = CloudLink("mqtt://127.0.0.1:1", client_id="reset-test")
    client = _Client(CallbackAPIVersion.VERSION2, manual_ack=True, deliver=link._on_publishes)
    client._sock = BufferedReads(Reset([]))
    assert client._packet_read() == MQTTErrorCode.MQTT_ERR_CONN_LOST
