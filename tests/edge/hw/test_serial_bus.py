"""The gateway's serial bus against real firmware on a pty and against hostile far ends."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import serial
from bus_far_end import Script, ScriptedEnd

from edge.hw.errors import NodeTimeout, SerialPortError
from edge.hw.serial_bus import SerialBus, open_port
from edge.hw.sim_node import SimulatedDoorNode
from firmware.doornode import frame as fr

MakeEnd = Callable[[Script], ScriptedEnd]


def _heartbeat(cmd: fr.Frame) -> bytes:
    return fr.encode(cmd.addr, cmd.seq, fr.HEARTBEAT, fr.encode_heartbeat(5, 0), reply=True)


def _bus(device: str, *, reply_timeout_s: float = 0.5, retries: int = 2) -> SerialBus:
    """A patient bus: a loaded test machine must not cause retries the test did not ask for."""
    return SerialBus(open_port(device), reply_timeout_s=reply_timeout_s, retries=retries)


def test_command_to_firmware_node_gets_the_reply_with_its_seq(
    door_node: SimulatedDoorNode,
) -> None:
    bus = _bus(door_node.device)
    first = bus.transact(7, fr.POLL)
    second = bus.transact(7, fr.POLL)
    assert first.reply and first.addr == 7 and first.seq == 0
    assert second.seq == 1
    assert bus.counters.retries == 0 and bus.counters.stale == 0


def test_lost_reply_is_retried_with_same_seq_and_answered_from_the_cache(
    door_node: SimulatedDoorNode,
) -> None:
    bus = _bus(door_node.device)
    bus.transact(7, fr.POLL)
    real_write = door_node.uart.write
    dropped: list[bytes] = []

    def lose_first(data: bytes) -> int:
        if not dropped:
            dropped.append(data)
            return len(data)
        return real_write(data)

    door_node.uart.write = lose_first  # type: ignore[method-assign]
    reply = bus.transact(7, fr.UNLOCK, fr.encode_unlock(200))
    assert reply.type == fr.ACK and fr.encode(7, reply.seq, fr.ACK, reply=True) == dropped[0]
    assert bus.counters.retries == 1
    assert door_node.node.replies.duplicates == 1  # executed once, answered twice
    assert door_node.lock.wait_for(0, timeout=1.0)


def test_late_and_duplicate_replies_and_garbage_are_dropped(scripted: MakeEnd) -> None:
    def noisy(cmd: fr.Frame, n: int) -> bytes:
        stale = fr.encode(cmd.addr, (cmd.seq - 1) % 256, fr.ACK, reply=True)
        other = fr.encode(cmd.addr + 1, cmd.seq, fr.ACK, reply=True)
        return stale + stale + b"\x00\xa5\x13garbage" + other + _heartbeat(cmd)

    end = scripted(noisy)
    bus = _bus(end.device)
    reply = bus.transact(3, fr.POLL)
    assert reply.type == fr.HEARTBEAT and reply.seq == 0
    assert bus.counters.stale == 3 and bus.decoder.garbage > 0


def test_corrupted_reply_is_retried(scripted: MakeEnd) -> None:
    def corrupt_first(cmd: fr.Frame, n: int) -> bytes:
        data = bytearray(_heartbeat(cmd))
        if n == 1:
            data[9] ^= 0x40
        return bytes(data)

    end = scripted(corrupt_first)
    bus = _bus(end.device)
    assert bus.transact(3, fr.POLL).type == fr.HEARTBEAT
    assert bus.counters.retries == 1 and bus.decoder.crc_errors == 1
    assert [c.seq for c in end.commands] == [0, 0]


def test_cut_reply_counts_as_truncated_then_the_retry_succeeds(scripted: MakeEnd) -> None:
    end = scripted(lambda cmd, n: _heartbeat(cmd)[: 6 if n == 1 else None])
    bus = _bus(end.device)
    assert bus.transact(3, fr.POLL).type == fr.HEARTBEAT
    assert bus.decoder.truncated == 1 and bus.counters.retries == 1


def test_silent_node_times_out_after_all_attempts(scripted: MakeEnd) -> None:
    end = scripted(lambda cmd, n: b"")
    bus = _bus(end.device, reply_timeout_s=0.02, retries=2)
    started = time.monotonic()
    with pytest.raises(NodeTimeout) as caught:
        bus.transact(9, fr.POLL)
    assert caught.value.address == 9 and caught.value.attempts == 3
    assert len(end.commands) == 3 and {c.seq for c in end.commands} == {0}
    assert time.monotonic() - started < 0.5
    assert bus.counters.timeouts == 1
    with pytest.raises(NodeTimeout):
        bus.transact(9, fr.POLL)
    assert end.commands[-1].seq == 1


def test_event_whose_replies_were_all_lost_is_delivered_by_the_next_poll(
    door_node: SimulatedDoorNode,
) -> None:
    bus = _bus(door_node.device, reply_timeout_s=0.2, retries=1)
    taken = [0]

    def poll() -> fr.Frame:
        """POLL acknowledging the last event taken, as the gateway does."""
        reply = bus.transact(7, fr.POLL, fr.encode_poll(taken[0]))
        if reply.type in fr.EVENTS:
            taken[0] = fr.decode_event(reply.payload)[0]
        return reply

    time.sleep(0.05)  # boot reports (status, door) queued
    while poll().type != fr.HEARTBEAT:
        pass
    real_write = door_node.uart.write
    lost: list[bytes] = []

    def lose_two(data: bytes) -> int:
        if len(lost) < 2:
            lost.append(data)
            return len(data)
        return real_write(data)

    door_node.uart.write = lose_two  # type: ignore[method-assign]
    door_node.tap(b"guest-77")
    time.sleep(0.01)
    with pytest.raises(NodeTimeout):
        while True:  # poll until the card's reply is the one lost
            poll()
    lost_card = fr.decode_event(fr.Decoder().feed(lost[0])[0].payload)[1]
    assert fr.decode_card(lost_card)[3] == b"guest-77"
    reply = poll()  # a new seq, but no ack of the lost card's id: the node sends it again
    assert reply.type == fr.CARD
    assert fr.decode_card(fr.decode_event(reply.payload)[1])[3] == b"guest-77"


def test_commands_from_two_threads_do_not_mix_on_the_wire(
    door_node: SimulatedDoorNode,
) -> None:
    bus = _bus(door_node.device)
    errors: list[BaseException] = []

    def hammer() -> None:
        try:
            for _ in range(50):
                assert bus.transact(7, fr.POLL).reply
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and bus.counters.commands == 100 and bus.counters.retries == 0


def test_own_echo_on_the_line_is_not_taken_for_a_reply() -> None:
    bus = SerialBus(serial.serial_for_url("loop://", timeout=0.002), reply_timeout_s=0.01)
    with pytest.raises(NodeTimeout):
        bus.transact(4, fr.POLL)
    assert bus.counters.stale == 3


def test_sequence_starts_at_zero_then_wraps_from_255_to_1(scripted: MakeEnd) -> None:
    end = scripted(lambda cmd, n: _heartbeat(cmd))
    bus = _bus(end.device)
    seqs = [bus.transact(2, fr.POLL).seq for _ in range(258)]
    assert seqs[:3] == [0, 1, 2] and seqs[255:] == [255, 1, 2]


def test_bad_address_and_missing_port_are_refused() -> None:
    bus = SerialBus(serial.serial_for_url("loop://", timeout=0.002))
    with pytest.raises(ValueError, match="address"):
        bus.transact(0, fr.POLL)
    with pytest.raises(ValueError, match="address"):
        bus.transact(fr.BROADCAST, fr.POLL)
    with pytest.raises(SerialPortError, match="/dev/does-not-exist"):
        open_port("/dev/does-not-exist")


def test_rs485_mode_on_a_port_without_it_is_refused(door_node: SimulatedDoorNode) -> None:
    with pytest.raises(SerialPortError, match="RS-485"):
        open_port(door_node.device, rs485=True)
