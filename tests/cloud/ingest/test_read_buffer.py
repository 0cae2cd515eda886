"""The broker's socket read in large pieces: paho gets exactly the bytes it asks for, in order,
is told what is buffered, and sees a closed connection and an empty socket as before."""

from __future__ import annotations

import socket
import struct

import pytest

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

