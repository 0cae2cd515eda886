"""Hostile bytes into the frame decoder and the door node (CPython, hypothesis)."""

from __future__ import annotations

import binascii
import itertools

from fw_fakes import FakePin, FakeReader, FakeUart
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware.doornode import frame as fr
from firmware.doornode.node import DoorNode

frames = st.builds(
    fr.Frame,
    addr=st.integers(0, fr.BROADCAST),
    seq=st.integers(0, 255),
    type=st.integers(0, 255),
    payload=st.binary(max_size=80),
    reply=st.booleans(),
)
FLUSH = b"\x00" * (fr.MAX_PAYLOAD + fr.OVERHEAD)  # enough to close any pseudo-frame


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


@given(st.binary(max_size=600))
def test_table_crc_equals_the_c_implementation(data: bytes) -> None:
    assert fr.crc16_table(data) == binascii.crc_hqx(data, 0xFFFF)


@given(st.binary(max_size=2000), st.lists(st.integers(0, 2000), max_size=20))
def test_random_bytes_never_raise_and_the_buffer_stays_bounded(
    data: bytes, cuts: list[int]
) -> None:
    dec = fr.Decoder()
    for part in chunked(data, cuts):
        for frame in dec.feed(part):
            assert frame.encode() in data
        assert len(dec.buf) <= fr.MAX_PAYLOAD + fr.OVERHEAD
    dec.expire()
    assert dec.buf == b""


@given(st.lists(frames, min_size=1, max_size=5), st.binary(max_size=60), st.data())
def test_frames_survive_garbage_and_arbitrary_chunking(
    sent: list[fr.Frame], garbage: bytes, data: st.DataObject
) -> None:
    stream = garbage + b"".join(f.encode() + garbage for f in sent) + FLUSH
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=10))
    dec = fr.Decoder()
    got = [f for part in chunked(stream, cuts) for f in dec.feed(part)]
    it = iter(got)
    assert all(any(f == g for g in it) for f in sent)  # every frame, in order


@given(frames, st.data())
def test_any_single_bit_error_is_detected(frame: fr.Frame, data: st.DataObject) -> None:
    raw = bytearray(frame.encode())
    bit = data.draw(st.integers(2 * 8, len(raw) * 8 - 1))  # past the sync word
    raw[bit // 8] ^= 1 << (bit % 8)
    got = fr.Decoder().feed(bytes(raw) + FLUSH)
    assert frame not in got


@given(frames)
def test_duplicated_frame_decodes_twice_for_the_receiver_to_judge(frame: fr.Frame) -> None:
    dec = fr.Decoder()
    assert dec.feed(frame.encode() * 2) == [frame, frame]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=30))
def test_door_node_survives_any_bytes_on_its_uart(chunks: list[bytes]) -> None:
    uart = FakeUart()
    node = DoorNode(uart, FakePin(), FakePin(), FakeReader(), 5)
    now = 0
    for chunk in chunks:
        uart.rx += chunk
        now += 7
        node.step(now)
    for reply in uart.take_frames():
        assert reply.reply and reply.addr == 5


commands = st.builds(
    fr.encode,
    addr=st.sampled_from([5, 6, fr.BROADCAST]),
    seq=st.integers(0, 255),
    type=st.sampled_from([*fr.COMMANDS, *fr.REPLIES, 0x00, 0x7E]),
    payload=st.one_of(st.binary(max_size=12), st.builds(fr.encode_decision, st.integers(0, 255),
                      st.booleans(), st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))),
    reply=st.booleans(),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(commands, max_size=25))
def test_door_node_answers_every_new_command_to_it_exactly_once(cmds: list[bytes]) -> None:
    uart = FakeUart()
    node = DoorNode(uart, FakePin(), FakePin(), FakeReader(), 5)
    now = 0
    for raw in cmds:
        cmd = fr.Decoder().feed(raw)[0]
        uart.rx += raw
        now += 3
        node.step(now)
        replies = uart.take_frames()
        if cmd.addr == 5 and not cmd.reply:
            assert [(r.addr, r.seq, r.reply) for r in replies] == [(5, cmd.seq, True)]
        else:
            assert replies == []
