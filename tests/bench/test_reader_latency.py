"""Tap to unlock with the door node's real reader driver: a card enters the PN532's field to the
node's lock pin energised.

The node is the real firmware with its PN532 driver (``firmware/doornode/pn532.py``) talking
frames to the simulated chip (``tests/firmware/pn532_sim.py``: host frames, ACK, ready byte,
InListPassiveTarget, InDataExchange/FAST_READ), in its own process on a pty, both ends of the
serial line paced to 115,200 baud 8N1; the gateway polls it with ``SerialBus`` + ``DoorNodes``.
Three runs, one after the other:

- no reader:    the card is handed to the node's reader object (the serial path alone, as
                ``test_serial_latency.py`` measures it);
- frames only:  the chip answers as soon as it is polled (no I2C or radio time);
- with air time: I2C transfers paced at 400 kHz (9 bit times a byte) and each answer ready only
                 after the radio time ISO 14443-A at 106 kbit/s needs (about 85 us a byte):
                 listing ~5 ms with a tag (REQA, two cascade levels, SELECT, a search for a
                 second tag), ~2 ms on an empty field; FAST_READ of pages 4..37 ~12 ms.

A machine-speed reference (a fixed pure-Python loop) is printed beside the figures, so runs on a
loaded machine can be compared.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.hw.door_nodes import DoorNodes, NodeConfig
from edge.hw.serial_bus import BAUDRATE, SerialBus, SerialPort, open_port
from tests.bench.test_serial_latency import PacedPort, allow_all, ignore, pct

TAPS = 200
CARD_BYTES = 108  # a one-room keycard
FIRMWARE_TESTS = Path(__file__).parents[1] / "firmware"

NODE_PROCESS = """
import sys, time
sys.path.insert(0, sys.argv[2])
from edge.hw.sim_node import SimulatedDoorNode
from firmware.doornode.pn532 import PN532
from pn532_sim import PN532Chip, Tag

MODE = sys.argv[1]  # "plain": card handed to the node; "frames": PN532 driver; "air": and air time
AIR = MODE == "air"
BYTE_S = 9 / 106000  # ISO 14443-A at 106 kbit/s, a parity bit per byte
I2C_BYTE_S = 9 / 400000


def air_time(command, data):
    if command == 0x4A:
        return 0.005 if chip.field else 0.002
    if command == 0x40:
        return (5 + 138) * BYTE_S + 0.0003  # FAST_READ out, 34 pages and CRC back
    return 0.0005


class PacedI2C:
    def __init__(self, chip):
        self.chip = chip

    def writeto(self, addr, buf):
        time.sleep((len(buf) + 1) * I2C_BYTE_S)
        return self.chip.writeto(addr, buf)

    def readfrom(self, addr, n):
        time.sleep((n + 1) * I2C_BYTE_S)
        return self.chip.readfrom(addr, n)


chip = PN532Chip()
if AIR:
    chip.clock, chip.air_time = time.perf_counter, air_time
reader = None if MODE == "plain" else PN532(PacedI2C(chip) if AIR else chip)
node = SimulatedDoorNode(1, pace_baud=115200, reader=reader).start()
print(node.device, flush=True)
for n, line in enumerate(sys.stdin):
    tag = Tag(bytes([4, n & 0xFF, n >> 8, 1, 2, 3, 4]), bytes.fromhex(line.strip()))
    mark = node.lock.mark()
    started = time.perf_counter()
    if reader is None:
        node.tap(tag.memory[21:21 + tag.memory[20]])
    else:
        chip.field.append(tag)
    opened = node.lock.wait_for(1, timeout=1.0, since=mark)
    if reader is not None:
        chip.field.remove(tag)
    if not opened or not node.lock.wait_for(0, timeout=1.0, since=mark):
        print("timeout", flush=True)
        continue
    print(node.lock.first_change_to(1, mark) - started, flush=True)
node.close()
"""


def machine_reference_ms() -> float:
    """A fixed pure-Python loop: how fast this machine runs Python right now."""
    started = time.perf_counter()
    total = 0
    for i in range(300_000):
        total += i % 7
    assert total > 0
    return (time.perf_counter() - started) * 1000


def measure(mode: str) -> tuple[list[float], int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", NODE_PROCESS, mode, str(FIRMWARE_TESTS)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
    )
    assert proc.stdin and proc.stdout
    device = proc.stdout.readline().strip()
    port: SerialPort = PacedPort(open_port(device, baudrate=BAUDRATE), BAUDRATE)  # type: ignore[arg-type]
    service = DoorNodes(SerialBus(port), [NodeConfig(1, "room-101")], decide=allow_all, emit=ignore,
                        now=lambda: datetime.now(UTC),
                        unlock_ms=15)
    stop = threading.Event()
    poller = threading.Thread(target=service.run, args=(stop,))
    poller.start()
    samples, missed = [], 0
    try:
        time.sleep(0.3)  # the reader woken and configured, boot reports drained
        for i in range(TAPS):
            card = (b"guest-%05d" % i).ljust(CARD_BYTES, b"\x5a")
            proc.stdin.write(card.hex() + "\n")
            answer = proc.stdout.readline().strip()
            if answer in ("", "timeout"):
                missed += 1
                continue
            samples.append(float(answer) * 1000)
            time.sleep(0.01)
    finally:
        stop.set()
        poller.join(timeout=2)
        proc.stdin.close()
        proc.wait(timeout=5)
    return samples, missed


def line(name: str, samples: list[float]) -> float:
    p50, p99 = statistics.median(samples), pct(samples, 99)
    print(f"  {name:<44} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   max {max(samples):6.2f} ms")
    return p99


@pytest.mark.bench
def test_tap_to_unlock_through_the_pn532_driver() -> None:
    before = machine_reference_ms()
    plain, missed_plain = measure("plain")
    frames, missed_frames = measure("frames")
    aired, missed_aired = measure("air")
    after = machine_reference_ms()
    print(f"\ncard in the field -> lock energised, {TAPS} taps, {CARD_BYTES}-byte card, PN532 on I2C, "
          f"node on a pty paced to {BAUDRATE} baud 8N1")
    print(f"  machine reference (300k-step Python loop): {before:.1f} ms before, {after:.1f} ms after")
    line("no reader: card handed to the node (as before)", plain)
    p99 = line("PN532 driver, frames only (no I2C/air time)", frames)
    line("with I2C 400 kHz and 106 kbit/s air time", aired)
    print(f"  target p99 < 30 ms (frames only): {'met' if p99 < 30 else 'MISSED'}; taps that did not "
          f"unlock within 1 s (no reader, frames, air): {missed_plain}, {missed_frames}, {missed_aired}")
    # A tap the gateway answered too late (500 ms) is decided by the node alone and refused:
    # on a loaded machine a few may be; more than 1 % is a fault of the path, not of the load.
    assert max(missed_plain, missed_frames, missed_aired) <= TAPS // 100
    assert statistics.median(frames) < 30
