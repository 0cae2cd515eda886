"""Tap to unlock through the serial link: card read at the node to the lock pin energised.

The door node is the real firmware (under CPython, in its own process as a real node is
its own device) on one end of a pty; the gateway polls it with SerialBus + DoorNodes and
decides with a fixed policy. A pty moves bytes at memory speed whatever baud rate it is
set to, so three figures are reported:

- pty:            measured as is;
- pty + wire:     each measured tap plus the computed 8N1 time at 115,200 baud of the frames
                  on its critical path (POLL, the CARD reply, DECISION);
- paced:          measured again with both ends waiting each frame's 8N1 time before
                  writing it, so polling cycles and retries see real wire timing; once
                  with one node, once with 8 nodes sharing the line (taps rotate).

The second test puts the whole running gateway behind the bus (``BusFloor`` and ``Gateway``
with allow-listed cards, its SQLite store on disk with synchronous=FULL, its ticker, telemetry
and an MQTT link with no broker to reach), paced: the tap is judged by the access port and
recorded durably in the outbox, as on a floor.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge import floor_bus
from edge.access.decision import Decision, Reason
from edge.app import Gateway
from edge.config import load_config
from edge.floor_bus import BusFloor
from edge.hw.door_nodes import DoorNodes, NodeConfig, NodeFact
from edge.hw.serial_bus import BAUDRATE, SerialBus, SerialPort, open_port
from edge.hw.sim_node import wire_seconds
from edge.sim import SimulatedDesk
from firmware.doornode import frame as fr

TAPS = 300
SHARED_NODES = 8
CARD_BYTES = 96  # e.g. a 32-byte credential body and its 64-byte Ed25519 signature
# POLL (ack u16), CARD reply (event id u16, tap, flags, age, card), DECISION
CRITICAL_PATH_BYTES = (fr.OVERHEAD + 2) + (fr.OVERHEAD + 2 + 4 + CARD_BYTES) + (fr.OVERHEAD + 6)


class PacedPort:
    """The gateway's port, waiting each frame's wire time before writing it."""

    def __init__(self, port: SerialPort, baudrate: int) -> None:
        self._port, self._baud = port, baudrate

    @property
    def in_waiting(self) -> int:
        return self._port.in_waiting

    def read(self, size: int = 1) -> bytes:
        return self._port.read(size)

    def write(self, data: bytes, /) -> int | None:
        time.sleep(wire_seconds(len(data), self._baud))
        return self._port.write(data)


def allow_all(card: bytes, door: str, now: datetime, /) -> Decision:
    if card.startswith(b"guest-"):
        return Decision(True, Reason.GRANTED)
    return Decision(False, Reason.MALFORMED)


def ignore(fact: NodeFact, /) -> None:
    return None


NODE_PROCESS = """
import sys
from edge.hw.sim_node import SimulatedBus
pace, count = int(sys.argv[1]) or None, int(sys.argv[2])
bus = SimulatedBus(list(range(1, count + 1)), pace_baud=pace, reread_ms=1).start()
print(bus.device, flush=True)
for line in sys.stdin:
    address, card = line.split()
    node = bus.nodes[int(address)]
    mark = node.lock.mark()
    node.tap(bytes.fromhex(card))
    if not node.lock.wait_for(0, timeout=1.0, since=mark):  # pulsed and relocked
        print("timeout", flush=True)
        continue
    print(repr(node.lock.first_change_to(1, mark)), flush=True)
bus.close()
"""


class NodeProcess:
    """The simulated nodes (one shared line) in a child process, tapped through its stdin."""

    def __init__(self, *, pace_baud: int, nodes: int) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", NODE_PROCESS, str(pace_baud), str(nodes)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )
        assert self._proc.stdin and self._proc.stdout
        self._in, self._out = self._proc.stdin, self._proc.stdout
        self.device = self._out.readline().strip()
        self.nodes = nodes

    def tap(self, address: int, card: bytes) -> float:
        """Present a card; return when the lock was energised (perf_counter seconds)."""
        self._in.write(f"{address} {card.hex()}\n")
        answer = self._out.readline().strip()
        assert answer not in ("", "timeout"), "the tap never unlocked"
        return float(answer)

    def close(self) -> None:
        self._in.close()
        self._proc.wait(timeout=5)


@contextmanager
def link(*, paced: bool, nodes: int = 1) -> Iterator[NodeProcess]:
    sim = NodeProcess(pace_baud=BAUDRATE if paced else 0, nodes=nodes)
    port: SerialPort = open_port(sim.device, baudrate=BAUDRATE)  # type: ignore[assignment]
    if paced:
        port = PacedPort(port, BAUDRATE)
    configs = [NodeConfig(a, f"room-{100 + a}") for a in range(1, nodes + 1)]
    service = DoorNodes(SerialBus(port), configs, decide=allow_all, emit=ignore,
                        now=lambda: datetime.now(UTC), unlock_ms=15)
    stop = threading.Event()
    poller = threading.Thread(target=service.run, args=(stop,))
    poller.start()
    try:
        yield sim
    finally:
        stop.set()
        poller.join(timeout=2)
        sim.close()


def measure(sim: NodeProcess) -> list[float]:
    time.sleep(0.1 * sim.nodes)  # boot reports drained
    samples = []
    for i in range(TAPS):
        card = (b"guest-%05d" % i).ljust(CARD_BYTES, b"\x5a")
        started = time.perf_counter()
        unlocked_at = sim.tap(i % sim.nodes + 1, card)
        samples.append((unlocked_at - started) * 1000)
        time.sleep(0.002)
    return samples


def pct(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def report(name: str, samples: list[float]) -> tuple[float, float]:
    p50, p99 = statistics.median(samples), pct(samples, 99)
    print(f"  {name:<34} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   max {max(samples):6.2f} ms")
    return p50, p99


@pytest.mark.bench
def test_tap_to_unlock_latency_over_the_serial_link() -> None:
    with link(paced=False) as sim:
        raw = measure(sim)
    with link(paced=True) as sim:
        paced = measure(sim)
    with link(paced=True, nodes=SHARED_NODES) as sim:
        shared = measure(sim)
    wire_ms = wire_seconds(CRITICAL_PATH_BYTES, BAUDRATE) * 1000
    cycle_ms = wire_seconds(2 * fr.OVERHEAD + 2 + 5, BAUDRATE) * 1000  # POLL + HEARTBEAT
    print(f"\ntap -> unlock, {TAPS} taps, card {CARD_BYTES} B, {BAUDRATE} baud 8N1")
    print(f"  critical path {CRITICAL_PATH_BYTES} B on the wire = {wire_ms:.2f} ms; "
          f"idle poll cycle {cycle_ms:.2f} ms per node on the bus")
    report("1 node, pty (measured)", raw)
    report("1 node, pty + computed wire time", [x + wire_ms for x in raw])
    _p50, p99 = report("1 node, paced writes (measured)", paced)
    report(f"{SHARED_NODES} nodes on one line, paced", shared)
    print(f"  target p99 < 30 ms (1 node, paced): {'met' if p99 < 30 else 'MISSED'}"
          " (tails depend on what else the 2 cores are running)")
    assert statistics.median(paced) < 30 and len(paced) == len(raw) == len(shared) == TAPS


@pytest.mark.bench
def test_tap_to_unlock_through_the_gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sim = NodeProcess(pace_baud=BAUDRATE, nodes=1)
    monkeypatch.setattr(floor_bus, "open_port",
                        lambda url, **kw: PacedPort(open_port(url, **kw), BAUDRATE))
    config = load_config(env={}, overrides={
        "site": "hotel", "floor": "f1", "rooms": ["101"], "data_dir": tmp_path, "site_number": 1,
        "floor_number": 1, "trust_system_clock": True, "hardware": "pi", "serial_url": sim.device,
        "door_nodes": {"101": 1},
        "mqtt_url": "mqtt://127.0.0.1:9",  # no broker: the link keeps retrying, as offline floors do
    })
    # The floor's bus as deployed, but a granted door relocks after 15 ms, so taps can follow.
    bus = BusFloor(port_url=sim.device, nodes={"101": 1}, unlock_s=0.015)
    gateway = Gateway(config, hardware=bus)
    desk = SimulatedDesk.load_or_create(gateway.store, site=1, floor=1)
    ack = gateway.command("key.upsert", desk.key_command())
    assert ack is not None and ack.ok
    card = desk.issue("101", now=gateway.now())
    gateway.start()  # its ticker, MQTT link and telemetry threads too
    try:
        time.sleep(0.1)  # boot reports drained
        samples, missed = [], 0
        for _ in range(TAPS):
            started = time.perf_counter()
            try:
                samples.append((sim.tap(1, card) - started) * 1000)
            except AssertionError:  # no answer within the node's 500 ms: it decided alone
                missed += 1
            time.sleep(0.002)
        deadline = time.monotonic() + 5  # the last tap is recorded just after its DECISION
        while _taps_recorded(gateway) < TAPS and time.monotonic() < deadline:
            time.sleep(0.01)
        recorded = _taps_recorded(gateway)
    finally:
        gateway.stop()
        sim.close()
    print(f"\ntap -> unlock through the gateway (signed keycard, outbox on disk), {TAPS} taps, paced")
    _p50, p99 = report("1 node, paced, gateway", samples)
    print(f"  target p99 < 30 ms: {'met' if p99 < 30 and not missed else 'MISSED'}"
          f"; taps the node had to decide alone (no answer in 500 ms): {missed}")
    assert recorded == TAPS, f"{recorded} of {TAPS} taps in the outbox"


def _taps_recorded(gateway: Gateway) -> int:
    row = gateway.store.fetch_one("SELECT count(*) FROM outbox WHERE type LIKE 'access.%'", [])
    return int(row[0]) if row else 0
