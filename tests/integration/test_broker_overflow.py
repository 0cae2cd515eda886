"""The cloud is away while more events arrive than the broker queues for it: none is lost.

Mosquitto drops messages for an offline persistent session past ``max_queued_messages``; the
gateway keeps every event until the cloud confirms it and sends again what stays unconfirmed.
Real Mosquitto (the project's config with a queue of 50), a real gateway, the cloud's ingest.
"""

from __future__ import annotations

import time
from pathlib import Path

from cloud.core.db import make_engine
from cloud.core.migrate import upgrade
from cloud.ingest.link import CloudLink
from cloud.ingest.service import IngestService
from cloud.ingest.store import IngestStore
from tests.edge.cloud_peer import wait_until
from tests.edge.gateway_factory import make_gateway
from tests.support.broker import Mosquitto
from tests.support.db import stored_seqs

QUEUE = 50
EVENTS = 500


def _small_queue(broker: Mosquitto) -> None:
    conf = broker.directory / "mosquitto.conf"
    lines = [line for line in conf.read_text().splitlines() if not line.startswith("max_queued_messages")]
    conf.write_text("\n".join([*lines, f"max_queued_messages {QUEUE}", ""]))
    broker.stop()
    broker.start()


def _cloud(broker: Mosquitto, engine_url: str, client_id: str) -> tuple[CloudLink, IngestService]:
    engine = make_engine(engine_url)
    link = CloudLink(broker.cloud_url, client_id=client_id)
    ingest = IngestService(link, IngestStore(engine))
    ingest.start()
    link.start()
    assert link.connected.wait(10)
    return link, ingest


def test_events_past_the_broker_queue_are_resent_by_the_gateway(own_mosquitto: Mosquitto, db_url: str,
                                                                tmp_path: Path) -> None:
    _small_queue(own_mosquitto)
    upgrade(make_engine(db_url))
    client_id = f"overflow-cloud-{time.monotonic_ns()}"
    link, ingest = _cloud(own_mosquitto, db_url, client_id)  # the persistent session exists
    link.stop()
    ingest.stop()
    # one event per message, so the broker's queue of QUEUE messages holds QUEUE events
    gateway = make_gateway(own_mosquitto, tmp_path, resend_after_s=1.0, event_batch_max=1)
    gateway.start()
    try:
        wait_until(gateway.link.online.is_set, what="gateway online")
        for i in range(EVENTS):
            gateway.record("tamper", {"room": "101", "detail": f"while the cloud is away {i}"})
        wait_until(lambda: gateway.link.relay.published >= EVENTS and gateway.link.relay.inflight == 0,
                   what="every event accepted by the broker")
        assert gateway.store.pending_count() == EVENTS  # PUBACKed, but nothing is forgotten
        log = (own_mosquitto.directory / "broker.log").read_text(errors="replace")
        assert f"Outgoing messages are being dropped for client {client_id}" in log  # the overflow happened
        link, ingest = _cloud(own_mosquitto, db_url, client_id)
        engine = make_engine(db_url)
        try:
            wait_until(lambda: gateway.store.pending_count() == 0, timeout=120, what="every event confirmed")
            seqs = stored_seqs(engine)
        finally:
            link.stop()
            ingest.stop()
            engine.dispose()
        assert seqs == list(range(1, EVENTS + 1))
        assert gateway.link.relay.republished >= EVENTS - QUEUE  # the broker dropped the rest: sent again
    finally:
        gateway.stop()
