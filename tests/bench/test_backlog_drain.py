"""A floor offline with 100,000 events: how fast the backlog drains when the broker returns, and
what the drain does to the floor's taps meanwhile.

The gateway runs in this process with its outbox filled while the broker is down (as a floor cut
off for hours would be); the cloud's ingest worker writes to PostgreSQL. The broker keeps its
sessions on disk and the cloud's session was subscribed before the outage, as in a deployment:
what the gateway relays before the worker is back waits in that session. (With a broker that
forgot the cloud's subscription, whatever the gateway published before the worker subscribed was
routed to nobody and came back only with the outbox's resend, 15 s later: one run in ten took
39 s.) The clock starts when the broker is back. While offline and then
while draining, a tap every 20 ms goes through the gateway's decision and its durable record
(``decide_card``: Ed25519 verify, access checks; then ``card_decided``: the access event in the
outbox with its fsync). On the door bus the node gets its answer from the decision and the
record follows it (``edge.floor_bus``), so the decision's latency is the gateway's part of tap →
unlock, printed apart from the decision and record together; the serial link's part is in
test_serial_latency.
Run: ./dev.sh bench -k backlog   (POSADA_BENCH_BACKLOG sets the number of events)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cloud.board.models import EventRecord
from cloud.core.db import make_engine
from cloud.core.migrate import upgrade
from edge.app import simulated_desk
from edge.main import prefer_latency
from tests.bench.raw_mqtt import cpu_seconds, load_average, raw_rate, reference_seconds
from tests.bench.test_ingest_throughput import _prefill
from tests.edge.cloud_peer import wait_until
from tests.edge.gateway_factory import make_gateway
from tests.support.broker import make_broker
from tests.support.pg import fresh_database

pytestmark = pytest.mark.bench
N = int(os.environ.get("POSADA_BENCH_BACKLOG", "100000"))
TAP_EVERY_S = 0.02


class Tapper:
    """Taps a valid card at room 101 every 20 ms and keeps each tap's latencies (ms): to the
    decision (what the door node waits for before it unlocks), and to the durable record."""

    def __init__(self, gateway: Any, card: bytes) -> None:
        self._gateway, self._card = gateway, card
        self.latencies: list[float] = []
        self.decisions: list[float] = []
        self.queued: list[float] = []  # per decision: ms this thread waited for a core
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(TAP_EVERY_S):
            queued = _run_queue_ms()
            began = time.perf_counter()
            decision = self._gateway.decide_card("101", self._card)
            decided = time.perf_counter()
            queued = _run_queue_ms() - queued
            self._gateway.card_decided("101", decision, at=self._gateway.now())
            self.decisions.append((decided - began) * 1000)
            self.queued.append(queued)
            self.latencies.append((time.perf_counter() - began) * 1000)
            assert decision.granted

    def run_for(self, seconds: float) -> tuple[list[float], list[float]]:
        self.start()
        time.sleep(seconds)
        return self.stop()

    def start(self) -> None:
        self.latencies, self.decisions, self.queued = [], [], []
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> tuple[list[float], list[float]]:
        """(decision latencies, decision-and-record latencies)."""
        self._stop.set()
        self._thread.join(5)
        return list(self.decisions), list(self.latencies)


def _run_queue_ms() -> float:
    """Time the calling thread has spent runnable but waiting for a core (Linux schedstat), in ms."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e6
    except (OSError, IndexError, ValueError):
        return 0.0


def _tail_split(decided: list[float], queued: list[float]) -> str:
    """Where the slowest 5% of decisions spent their time: waiting for a core, or not."""
    slowest = sorted(zip(decided, queued, strict=False), reverse=True)[:max(1, len(decided) // 20)]
    wall = sum(d for d, _ in slowest) / len(slowest)
    core = sum(q for _, q in slowest) / len(slowest)
    return (f"the slowest {len(slowest)}: {wall:.2f} ms on average, of which {core:.2f} ms runnable and "
            f"waiting for a core, {wall - core:.2f} ms running or blocked (the interpreter lock)")


def _link_threads_cpu() -> float:
    """CPU seconds of the gateway's relay and MQTT network threads (from /proc, per thread)."""
    total = 0.0
    for thread in threading.enumerate():
        if thread.name.startswith(("outbox-", "paho-mqtt-client-")) and thread.native_id is not None:
            stat = Path(f"/proc/self/task/{thread.native_id}/stat")
            if stat.exists():
                fields = stat.read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _start_worker(mqtt_url: str, database_url: str) -> subprocess.Popen[str]:
    """The cloud's ingest worker in a process of its own, once connected (same session each time)."""
    worker = subprocess.Popen([sys.executable, "-m", "tests.bench.ingest_worker", mqtt_url, database_url,
                               "bench-backlog"], stdout=subprocess.PIPE, text=True)
    assert worker.stdout is not None and worker.stdout.readline().strip() == "connected"
    return worker


def _stats(ms: list[float]) -> str:
    ordered = sorted(ms)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{len(ms)} taps p50 {statistics.median(ms):.2f} ms, p99 {p99:.2f} ms, max {ordered[-1]:.2f} ms"


def test_a_100k_backlog_drains_while_taps_keep_their_latency(tmp_path: Path) -> None:
    prefer_latency()  # as the gateway's process does (edge.main)
    broker = make_broker(persistence=True)
    reference = reference_seconds()
    raw = raw_rate(broker, count=20_000)
    _prefill(tmp_path / "gateway-hotel-f1.db", N)
    gateway = make_gateway(broker, tmp_path, tick_s=1.0)
    card = simulated_desk(gateway)("101")
    with fresh_database() as url:
        engine = make_engine(url)
        upgrade(engine)
        first_session = _start_worker(broker.cloud_url, url)  # the cloud's session: subscribed, it stays
        first_session.terminate()
        first_session.communicate(timeout=60)
        broker.stop()
        gateway.start()
        tapper = Tapper(gateway, card)
        try:
            offline_decided, offline = tapper.run_for(8.0)
            load = load_average()
            link_cpu = _link_threads_cpu()
            broker.start()
            returned = time.perf_counter()
            tapper.start()
            worker = _start_worker(broker.cloud_url, url)
            connected = time.perf_counter() - returned
            worker_cpu = cpu_seconds(worker.pid)
            first = None
            stored = 0
            backlog = select(func.count()).select_from(EventRecord).where(EventRecord.seq <= N)
            while stored < N and time.perf_counter() - returned < 300:
                with engine.connect() as conn:
                    stored = conn.execute(backlog).scalar_one()
                if stored and first is None:
                    first = time.perf_counter() - returned
                time.sleep(0.1)
            drained = time.perf_counter() - returned
            link_cpu, worker_cpu = _link_threads_cpu() - link_cpu, cpu_seconds(worker.pid) - worker_cpu
            during_decided, during = tapper.stop()
            during_queued = list(tapper.queued)
            wait_until(lambda: gateway.store.pending_count() == 0, timeout=120, what="outbox empty")
            worker.terminate()
            counters = worker.communicate(timeout=60)[0].strip()
        finally:
            tapper.stop()
            gateway.stop()
            engine.dispose()
            broker.stop()
    print(f"\n[backlog] {N} events recorded offline; after the broker returned: first stored in "
          f"{first:.2f} s (the worker's process connected in {connected:.2f} s), "
          f"all {stored} stored in {drained:.2f} s = "
          f"{N / drained:,.0f} events/s (worker in its own process: {counters}); "
          f"raw mosquitto_pub->sub QoS 1 on the same broker: {raw:,.0f} msg/s; "
          f"ratio {N / drained / raw:.2f}; CPU per 1,000 events: gateway relay + MQTT threads "
          f"{1000 * link_cpu / N:.3f} s, worker {1000 * worker_cpu / N:.3f} s; load average {load}; "
          f"reference loop {reference:.2f} s\n"
          f"[backlog] tap -> unlock, the gateway's part (the decision the node waits for), offline "
          f"and idle: {_stats(offline_decided)}\n"
          f"[backlog] the same during the drain: {_stats(during_decided)}; "
          f"{_tail_split(during_decided, during_queued)}\n"
          f"[backlog] tap decided and recorded durably, offline and idle: {_stats(offline)}\n"
          f"[backlog] the same during the drain: {_stats(during)}")
    assert first is not None and stored >= N
