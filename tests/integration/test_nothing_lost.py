"""Nothing lost: a broker outage and a cloud restart between a real gateway and the real cloud."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from edge.app import Gateway
from edge.outbox import OutboxEntry
from mqtt.messages import AccessDecision
from tests.integration.harness import (
    Stored,
    cloud_settings,
    gateway_config,
    outbox_size,
    running_cloud,
    running_gateway,
    stored_events,
    wait_until,
)
from tests.support.broker import Mosquitto

pytestmark = pytest.mark.service
ROOMS = [f"{n}" for n in range(101, 111)]


def _record(gateway: Gateway, count: int, *, start: int = 0) -> list[OutboxEntry]:
    return [gateway.record("access.granted", AccessDecision(
        room=ROOMS[i % len(ROOMS)], granted=True, reason="listed", credential_id=f"c{i}"))
        for i in range(start, start + count)]


def _unsent(gateway: Gateway) -> int:
    row = gateway.store.fetch_one("SELECT count(*) FROM outbox WHERE last_sent IS NULL", [])
    assert row is not None
    return int(row[0])


def _assert_exactly(stored: list[Stored], recorded: list[OutboxEntry]) -> None:
    ids = [e.id for e in stored]
    assert len(ids) == len(set(ids)) == len(recorded)
    assert set(ids) == {e.id for e in recorded}
    by_id = {e.id: e for e in stored}
    assert all(by_id[e.id].seq == e.seq for e in recorded)
    per_room: dict[str | None, list[Stored]] = defaultdict(list)
    for entry in recorded:  # recorded order is seq order
        per_room[entry.room].append(by_id[entry.id])
    for room, events in per_room.items():
        seqs, stamps = [e.seq or 0 for e in events], [e.ts for e in events]
        assert seqs == sorted(seqs) and stamps == sorted(stamps), f"room {room} out of order"
        assert all(e.room == room for e in events)


def test_a_thousand_events_recorded_while_the_broker_is_down_arrive_exactly_once_in_order(
        own_mosquitto: Mosquitto, db_url: str, tmp_path: Path) -> None:
    config = gateway_config(own_mosquitto.gateway_url("hotel", "f1"), tmp_path, site="hotel", floor="f1",
                            rooms=ROOMS)
    with running_cloud(cloud_settings(db_url, own_mosquitto.cloud_url)) as cloud, \
            running_gateway(config) as gw:
        wait_until(gw.link.online.is_set, what="gateway connected")
        own_mosquitto.stop()
        wait_until(lambda: not gw.link.online.is_set(), what="gateway sees the outage")
        recorded = _record(gw, 1000)
        assert outbox_size(gw) == 1000
        own_mosquitto.start()
        wait_until(lambda: len(stored_events(db_url, site="hotel", floor="f1")) >= 1000, timeout=60,
                   what="the thousand events stored")
        wait_until(lambda: outbox_size(gw) == 0, timeout=30, what="every event confirmed")
        _assert_exactly(stored_events(db_url, site="hotel", floor="f1"), recorded)
        listed = cloud.get("/api/v1/rooms/hotel/f1/105/events", params={"limit": 1000}).json()
        assert [e["id"] for e in reversed(listed)] == [e.id for e in recorded if e.room == "105"]


def test_a_cloud_restarted_mid_stream_stores_every_event_exactly_once(
        own_mosquitto: Mosquitto, db_url: str, tmp_path: Path) -> None:
    config = gateway_config(own_mosquitto.gateway_url("hotel", "f1"), tmp_path, site="hotel", floor="f1",
                            rooms=ROOMS)
    settings = cloud_settings(db_url, own_mosquitto.cloud_url)  # one client id: one persistent session
    with running_gateway(config) as gw:
        with running_cloud(settings):
            recorded = _record(gw, 500)
            wait_until(lambda: stored_events(db_url, site="hotel", floor="f1"), what="the stream under way")
        # The cloud is down: the broker keeps its session's messages, the gateway keeps its outbox.
        recorded += _record(gw, 500, start=500)
        wait_until(lambda: _unsent(gw) == 0, what="published while the cloud was down")
        assert outbox_size(gw) > 0
        with running_cloud(settings):
            wait_until(lambda: outbox_size(gw) == 0, timeout=60, what="every event confirmed")
        _assert_exactly(stored_events(db_url, site="hotel", floor="f1"), recorded)


def test_doors_keep_deciding_with_the_broker_stopped_and_the_decisions_arrive_when_it_returns(
        own_mosquitto: Mosquitto, db_url: str, tmp_path: Path) -> None:
    from edge.sim import SimulatedDesk
    from mqtt.keycard import parse_card

    config = gateway_config(own_mosquitto.gateway_url("hotel", "f1"), tmp_path, site="hotel", floor="f1",
                            rooms=["101", "102"], access="keycard", site_number=9, floor_number=1)
    with running_cloud(cloud_settings(db_url, own_mosquitto.cloud_url)) as cloud, \
            running_gateway(config) as gw:
        wait_until(gw.link.online.is_set, what="gateway connected")
        desk = SimulatedDesk.load_or_create(gw.store, site=9, floor=1)
        assert gw.command("key.upsert", desk.key_command()).ok  # type: ignore[union-attr]
        card = desk.issue("101", now=gw.now())
        own_mosquitto.stop()
        wait_until(lambda: not gw.link.online.is_set(), what="gateway sees the outage")
        decisions = [gw.card_presented("101", card), gw.card_presented("102", card),
                     gw.card_presented("101", card[:40]), gw.card_presented("101", bytes(len(card)))]
        assert decisions == [True, False, False, False]
        own_mosquitto.start()
        wait_until(lambda: outbox_size(gw) == 0, timeout=60, what="every decision confirmed by the cloud")
        stored = sorted((e for e in stored_events(db_url, site="hotel", floor="f1")
                         if e.type.startswith("access.")), key=lambda e: (e.ts, e.seq))  # seq: same-ms ties
        assert [(e.type, e.room) for e in stored] == [
            ("access.granted", "101"), ("access.denied", "102"), ("access.denied", "101"),
            ("access.denied", "101")]
        credential = parse_card(card).card.credential_ref
        by_card = cloud.get(f"/api/v1/credentials/{credential}/events").json()
        assert sorted(e["data"]["reason"] for e in by_card) == ["granted", "wrong_door"]
