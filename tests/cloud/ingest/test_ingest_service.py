"""Cloud ingest against a real Mosquitto: exactly once, confirmations, garbage tolerance."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import paho.mqtt.client as paho
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion

from cloud.app import create_app
from cloud.settings import Settings
from mqtt.batch import batch_json, item_json
from mqtt.codec import encode
from mqtt.envelope import utcnow
from mqtt.messages import AccessDecision, GatewayStatus, LastAccess, RoomState
from tests.support.broker import Mosquitto
from tests.support.staff import sign_in_staff

pytestmark = pytest.mark.service


class FakeFloor:
    """A paho client with a gateway's credentials, standing in for the edge in cloud tests."""

    def __init__(self, broker: Mosquitto, site: str, floor: str) -> None:
        self.site, self.floor = site, floor
        self.confirmed: list[str] = []
        self._lock = threading.Lock()
        user = f"gw.{site}.{floor}"
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{user}-{os.getpid()}")
        self.client.username_pw_set(user, broker.passwords[user])
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", broker.port)
        self.client.subscribe(f"posada/v1/{site}/{floor}/cmd", 1)
        self.client.loop_start()

    def _on_message(self, _c: object, _u: object, msg: paho.MQTTMessage) -> None:
        body = json.loads(msg.payload)
        if body["type"] == "events.stored":
            with self._lock:
                self.confirmed.extend(body["data"]["ids"])

    def publish(self, suffix: str, payload: bytes, *, retain: bool = False) -> None:
        self.client.publish(f"posada/v1/{self.site}/{self.floor}/{suffix}", payload, qos=1,
                            retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _wait(predicate, timeout: float = 10.0, every: float = 0.05) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def cloud(mosquitto: Mosquitto, db_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=db_url, mqtt_url=mosquitto.cloud_url,
                        mqtt_client_id=f"cloud-{os.getpid()}-{time.monotonic_ns()}")
    with TestClient(create_app(settings)) as client:
        _wait(lambda: client.get("/health").status_code == 200)
        sign_in_staff(client, site="annex")  # the API and the portal answer signed-in staff only
        yield client


def test_tap_is_stored_once_and_confirmed_and_shows_on_the_board(
        cloud: TestClient, mosquitto: Mosquitto) -> None:
    floor = FakeFloor(mosquitto, "annex", "g")
    try:
        tap = encode(type="access.granted", source="gw.annex.g", seq=1,
                     data=AccessDecision(room="g01", granted=True, reason="granted", credential_id="c1"))
        floor.publish("events", tap.to_json())
        floor.publish("events", tap.to_json())  # an at-least-once redelivery
        state = encode(type="room.state", source="gw.annex.g", data=RoomState(
            room="g01", occupied=True, door="closed", lock="locked",
            last_access=LastAccess(at=utcnow(), granted=True, credential_id="c1", reason="granted")))
        floor.publish("rooms/g01/state", state.to_json(), retain=True)
        online = encode(type="gateway.status", source="gw.annex.g",
                        data=GatewayStatus(state="online", version="t"))
        floor.publish("status", online.to_json(), retain=True)
        _wait(lambda: floor.confirmed.count(tap.id) >= 2)
        events = cloud.get("/api/v1/rooms/annex/g/g01/events").json()
        assert [e["id"] for e in events] == [tap.id]
        assert [e["id"] for e in cloud.get("/api/v1/credentials/c1/events").json()] == [tap.id]
        page = cloud.get("/rooms/annex/g/g01")
        assert page.status_code == 200 and "access granted" in page.text  # the event type, labelled

        def floor_g() -> dict[str, Any]:
            answer = cloud.get("/api/v1/board")
            assert answer.status_code == 200, answer.text
            board = {(f["site"], f["floor"]): f for f in answer.json()}
            found: dict[str, Any] = board.get(("annex", "g"), {})
            return found

        def g01(shown: dict[str, Any]) -> dict[str, Any]:
            return next((r for r in shown.get("rooms", ()) if r["room"] == "g01"), {})

        def settled() -> bool:
            shown = floor_g()
            return bool(g01(shown).get("occupied")) and (shown.get("gateway") or {}).get("state") == "online"

        # the room's retained state and the gateway's status travel apart from the events: awaited
        try:
            _wait(settled, timeout=20, every=0.25)  # one read a turn, inside the token rate
        except AssertionError:
            raise AssertionError(f"the board shows {floor_g()}") from None
        room = g01(floor_g())
        assert room["occupied"] and room["last_access_granted"] and room["last_access_reason"] == "granted"
    finally:
        floor.close()


def test_a_batch_of_events_is_stored_once_per_event_and_each_id_confirmed(
        cloud: TestClient, mosquitto: Mosquitto) -> None:
    floor = FakeFloor(mosquitto, "annex", "g")
    try:
        taps = [encode(type="access.granted", source="gw.annex.g", seq=n, data=AccessDecision(
            room="g02", granted=True, reason="granted", credential_id="c2")) for n in range(1, 4)]
        items = [item_json(id=t.id, type=t.type, ts=t.ts, seq=t.seq or 0, data_json=json.dumps(t.data))
                 for t in taps]
        floor.publish("events", batch_json(items, source="gw.annex.g"))
        floor.publish("events", batch_json(items[1:], source="gw.annex.g"))  # a resend of two of them
        _wait(lambda: all(floor.confirmed.count(t.id) >= (2 if n else 1) for n, t in enumerate(taps)))
        events = cloud.get("/api/v1/rooms/annex/g/g02/events").json()
        assert sorted(e["id"] for e in events) == sorted(t.id for t in taps)
    finally:
        floor.close()


def test_garbage_on_every_topic_is_counted_and_the_cloud_keeps_running(
        cloud: TestClient, mosquitto: Mosquitto) -> None:
    floor = FakeFloor(mosquitto, "annex", "g")
    garbage = [os.urandom(64), b"[1,2]", b'{"v":9}', b'{"v":1,"type":"x"}', b"{" * 70_000,
               b"[" * 5000 + b"]" * 5000,  # nested deeper than the JSON parser goes: once fatal to ingest
               json.dumps({"v": 1, "id": "x1", "type": "access.granted", "source": "s",
                           "ts": "2026-01-01T00:00:00Z", "data": {"granted": "maybe"}}).encode(),
               json.dumps({"v": 1, "id": "x2", "type": "alien.event", "source": "s",
                           "ts": "2026-01-01T00:00:00Z", "data": {}}).encode()]
    try:
        for suffix in ("events", "status", "ack", "rooms/g01/state", "rooms/g01/telemetry"):
            for body in garbage:
                floor.publish(suffix, body)
        _wait(lambda: sum(cloud.get("/api/v1/ingest").json()["rejections"].values()) >= 40, every=0.25)
        # Events with a readable id are dead-lettered and confirmed so they never block the queue.
        _wait(lambda: {"x1", "x2"} <= set(floor.confirmed))
        assert cloud.get("/health").status_code == 200
        rejections = cloud.get("/api/v1/ingest").json()["rejections"]
        assert rejections["events/json"] >= 1 and rejections["events/size"] >= 1
        assert rejections["events/data"] >= 1 and rejections["events/type"] >= 1
    finally:
        floor.close()
