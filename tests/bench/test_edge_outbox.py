"""Gateway outbox figures: durable record rate, and replay rate after a broker outage."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.edge.cloud_peer import CloudPeer, wait_until
from tests.edge.gateway_factory import make_gateway
from tests.support.broker import Mosquitto

pytestmark = [pytest.mark.bench, pytest.mark.service]
EVENTS = 10_000


@pytest.mark.parametrize("window", [20, 100, 500])
def test_outbox_replay_after_an_outage(own_mosquitto: Mosquitto, tmp_path: Path, window: int) -> None:
    peer = CloudPeer(own_mosquitto.cloud_url, site="hotel", floor="f1", client_id=f"bench-{window}",
                     batch_s=0.05)
    gateway = make_gateway(own_mosquitto, tmp_path, inflight_window=window)
    gateway.start()
    wait_until(gateway.link.online.is_set, what="online")
    own_mosquitto.stop()
    wait_until(lambda: not gateway.link.online.is_set(), what="offline")
    start = time.perf_counter()
    for i in range(EVENTS):
        gateway.record("tamper", {"room": "101", "detail": f"bench {i}"})
    record_s = time.perf_counter() - start
    own_mosquitto.start()
    start = time.perf_counter()
    wait_until(lambda: len(peer.first_seqs()) >= EVENTS, timeout=300, what="all events")
    delivered_s = time.perf_counter() - start
    wait_until(lambda: gateway.store.pending_count() == 0, timeout=300, what="all confirmed")
    confirmed_s = time.perf_counter() - start
    assert peer.first_seqs() == list(range(1, EVENTS + 1))
    print(f"\nwindow {window}: recorded {EVENTS} events durably at {EVENTS / record_s:,.0f}/s; "
          f"after the broker returned, all delivered in {delivered_s:.1f} s ({EVENTS / delivered_s:,.0f}/s, "
          f"includes reconnect), outbox empty after {confirmed_s:.1f} s; "
          f"{len(peer.events) - EVENTS} redeliveries")
    gateway.stop()
    peer.close()


@pytest.mark.parametrize("writers", [1, 8])
def test_outbox_records_from_many_threads_share_fsyncs(tmp_path: Path, writers: int) -> None:
    """The group commit: taps from several door nodes (threads) at once, each returning only when
    its event is durable; printed with the fsyncs it took."""
    import threading

    from edge.store import Store
    from mqtt.envelope import utcnow

    store = Store(tmp_path / "gw.db")
    per_writer = 4000 // writers
    syncs_before = store.group.syncs

    def writer(n: int) -> None:
        for i in range(per_writer):
            store.append_event(type="tamper", data={"room": "101", "detail": f"{n}-{i}"}, room="101",
                               created=utcnow())

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    total = per_writer * writers
    syncs = store.group.syncs - syncs_before
    print(f"\n{writers} writer thread(s): {total} events recorded durably in {elapsed:.2f} s = "
          f"{total / elapsed:,.0f}/s with {syncs} fsyncs ({total / max(syncs, 1):.1f} events per fsync)")
    assert store.pending_count() == total and store.group.pending == 0
    store.close()
