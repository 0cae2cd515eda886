"""A backlog the broker routed to nobody comes back whole, in one resend round.

A broker that lost the cloud's subscription (restarted without its sessions, or the cloud's
session expired) PUBACKs a gateway's events and drops them: no subscriber matches. The gateway
still holds every one until the cloud confirms it; once they are due, the relay resends them all
at the window's pace. Before, it resent ``READ_MAX`` (4,000) per look and stepped its backoff at
each look, so a 100,000-event backlog came back over 25 s more (a bench run of 39 s).
Real Mosquitto, a real gateway and its SQLite outbox, the cloud's ingest.
"""

from __future__ import annotations

import time
from pathlib import Path

from cloud.core.db import make_engine
from cloud.ingest.link import CloudLink
from cloud.ingest.service import IngestService
from cloud.ingest.store import IngestStore
from edge.outbox import READ_MAX
from tests.edge.cloud_peer import wait_until
from tests.edge.gateway_factory import make_gateway
from tests.support.broker import Mosquitto
from tests.support.db import stored_seqs

EVENTS = 3 * READ_MAX + 500
RESEND_AFTER_S = 5.0


def test_a_backlog_routed_to_no_subscriber_is_resent_whole_in_one_round(own_mosquitto: Mosquitto,
                                                                      db_url: str, tmp_path: Path) -> None:
    gateway = make_gateway(own_mosquitto, tmp_path, resend_after_s=RESEND_AFTER_S, event_batch_max=200)
    for i in range(EVENTS):  # recorded before the link starts: one backlog, as after an outage
        gateway.record("tamper", {"room": "101", "detail": f"nobody listens {i}"})
    gateway.start()
    engine = make_engine(db_url)
    link = CloudLink(own_mosquitto.cloud_url, client_id=f"unrouted-{time.monotonic_ns()}")
    ingest = IngestService(link, IngestStore(engine))
    try:
        wait_until(lambda: gateway.link.relay.published >= EVENTS and gateway.link.relay.inflight == 0,
                   timeout=60, what="the backlog PUBACKed by a broker with no subscriber")
        relayed = time.monotonic()
        assert gateway.store.pending_count() == EVENTS  # PUBACKed, dropped, and nothing forgotten
        ingest.start()
        link.start()
        assert link.connected.wait(10)
        wait_until(lambda: gateway.store.pending_count() == 0, timeout=120, what="every event confirmed")
        confirmed_after = time.monotonic() - relayed
        seqs = stored_seqs(engine)
    finally:
        link.stop()
        ingest.stop()
        gateway.stop()
        engine.dispose()
    assert seqs == list(range(1, EVENTS + 1))  # none lost, none twice
    assert ingest.counters.duplicates == 0
    # one round: resent once each, all back before a second round (2 x RESEND_AFTER_S) could start
    assert gateway.link.relay.republished == EVENTS
    assert confirmed_after < 2 * RESEND_AFTER_S, f"the backlog came back in {confirmed_after:.1f} s"
