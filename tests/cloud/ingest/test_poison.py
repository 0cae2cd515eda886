"""One event the database cannot store, amid 10,000 good ones: dead-lettered with its reason,
confirmed to its gateway, shown in the portal; the 10,000 are stored (real Mosquitto)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from cloud.board import queries
from cloud.board.models import EventRecord
from cloud.core.db import make_engine
from cloud.core.migrate import upgrade
from cloud.ingest.link import CloudLink
from cloud.ingest.service import IngestService
from cloud.ingest.store import IngestStore
from mqtt.codec import encode
from mqtt.messages import Tamper
from tests.bench.raw_mqtt import publish_chunks, write_chunks
from tests.support.broker import Mosquitto

GOOD = 10_000
FLOOR_USER = "gw.hotel.f1"


def _good(i: int) -> bytes:
    data = Tamper(room="101", detail=f"n{i}")
    return encode(type="tamper", source=FLOOR_USER, seq=i + 1, data=data).to_json()


def _poison(seq: int) -> bytes:
    """A tamper whose detail holds a NUL and whose room a lone surrogate: valid JSON that passes the
    contract's checks far enough to be kept, but that neither PostgreSQL nor SQLite can store as is."""
    body = json.loads(_good(seq - 1))
    body["id"] = "POISON0000000000000000001"
    body["data"] = {"room": "ROOM", "detail": "NUL\u0000"}
    return json.dumps(body).replace('"ROOM"', '"\\ud800"').encode()


class Confirmations:
    def __init__(self, broker: Mosquitto) -> None:
        self.ids: set[str] = set()
        self._lock = threading.Lock()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"poison-{time.monotonic_ns()}")
        self.client.username_pw_set(FLOOR_USER, broker.passwords[FLOOR_USER])
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", broker.port)
        self.client.subscribe("posada/v1/hotel/f1/cmd", 1)
        self.client.loop_start()

    def _on_message(self, _c: object, _u: object, msg: paho.MQTTMessage) -> None:
        body = json.loads(msg.payload)
        if body["type"] == "events.stored":
            with self._lock:
                self.ids.update(body["data"]["ids"])

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_a_refused_event_is_dead_lettered_and_the_rest_stored(own_mosquitto: Mosquitto, db_url: str,
                                                               tmp_path: Path) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    link = CloudLink(own_mosquitto.cloud_url, client_id=f"poison-cloud-{time.monotonic_ns()}")
    ingest = IngestService(link, IngestStore(engine))
    confirmations = Confirmations(own_mosquitto)
    ingest.start()
    link.start()
    try:
        assert link.connected.wait(10)
        lines = [_good(i) + b"\n" for i in range(GOOD // 2)] + [_poison(GOOD // 2 + 1) + b"\n"]
        lines += [_good(i) + b"\n" for i in range(GOOD // 2, GOOD)]
        publish_chunks(own_mosquitto, user=FLOOR_USER, topic="posada/v1/hotel/f1/events",
                       files=write_chunks(tmp_path, lines))
        deadline = time.monotonic() + 120
        while len(confirmations.ids) < GOOD + 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(EventRecord)).scalar_one()
            dead = conn.execute(select(EventRecord.id, EventRecord.dead_letter)
                                .where(EventRecord.dead_letter.is_not(None))).all()
        assert stored == GOOD + 1
        assert [row.id for row in dead] == ["POISON0000000000000000001"]
        assert "the database refused it" in dead[0].dead_letter
        assert "POISON0000000000000000001" in confirmations.ids and len(confirmations.ids) == GOOD + 1
        assert ingest.counters.stored == GOOD + 1 and ingest.counters.duplicates == 0
        from sqlalchemy.orm import Session

        with Session(engine) as session:
            shown = queries.dead_letters(session, sites=["hotel"])
        assert [e.id for e in shown] == ["POISON0000000000000000001"]
    finally:
        confirmations.close()
        link.stop()
        ingest.stop()
        engine.dispose()


def test_the_portal_lists_dead_letters_with_their_reason(sqlite_url: str) -> None:
    from datetime import UTC, datetime

    from fastapi.testclient import TestClient
    from sqlalchemy.orm import Session

    from cloud.app import create_app
    from cloud.settings import Settings
    from tests.support.staff import sign_in_staff

    app = create_app(Settings(database_url=sqlite_url, mqtt_enabled=False))
    with TestClient(app) as client:
        sign_in_staff(client, site="hotel")
        now = datetime.now(UTC)
        engine = make_engine(sqlite_url)
        with Session(engine) as session, session.begin():
            rows = [("E0", "hotel", None), ("E1", "hotel", "the database refused it: bad bytes"),
                    ("OTHER", "elsewhere", "x")]
            for n, (event_id, site, reason) in enumerate(rows):
                session.add(EventRecord(id=event_id, site=site, floor="f1", room="101", type="tamper", ts=now,
                                        source=f"gw.{site}.f1", seq=n + 1, data={}, received_at=now,
                                        dead_letter=reason))
        engine.dispose()
        page = client.get("/events/dead-letters")
    assert page.status_code == 200
    assert 'id="dead-E1"' in page.text and "the database refused it: bad bytes" in page.text
    assert 'id="dead-E0"' not in page.text and "OTHER" not in page.text  # good events, other sites
