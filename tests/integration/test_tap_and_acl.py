"""A tap at a real gateway reaches the real cloud once; a gateway's credentials stay on its floor."""

from __future__ import annotations

import os
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from mqtt.codec import encode
from mqtt.keycard import parse_card
from mqtt.messages import AccessDecision
from tests.integration.harness import (
    cloud_settings,
    gateway_config,
    give_card,
    outbox_size,
    running_cloud,
    running_gateway,
    stored_events,
    wait_until,
)
from tests.support.broker import Mosquitto

pytestmark = pytest.mark.service


def test_a_tap_is_stored_once_and_shows_as_the_rooms_last_access(
        mosquitto: Mosquitto, db_url: str, tmp_path: Path) -> None:
    config = gateway_config(mosquitto.gateway_url("hotel", "f3"), tmp_path, site="hotel", floor="f3")
    with running_cloud(cloud_settings(db_url, mosquitto.cloud_url)) as cloud, running_gateway(config) as gw:
        card = give_card(gw, "102")
        assert gw.card_presented("102", card)
        wait_until(lambda: outbox_size(gw) == 0, what="the cloud confirmed every event")
        taps = [e for e in stored_events(db_url, site="hotel", floor="f3") if e.type == "access.granted"]
        assert len(taps) == 1 and taps[0].room == "102"
        listed = cloud.get("/api/v1/rooms/hotel/f3/102/events").json()
        assert [e["id"] for e in listed if e["type"] == "access.granted"] == [taps[0].id]
        tap = listed[[e["id"] for e in listed].index(taps[0].id)]
        assert tap["credential_id"] == parse_card(card).card.credential_ref
        wait_until(lambda: _room(cloud.get("/api/v1/board").json(), "hotel", "f3", "102")
                   ["last_access_granted"] is True, what="the board shows the tap")
        room = _room(cloud.get("/api/v1/board").json(), "hotel", "f3", "102")
        assert room["last_access_reason"] == "granted" and room["last_access_at"] is not None


def test_a_gateway_cannot_publish_under_another_floor(
        mosquitto: Mosquitto, db_url: str) -> None:
    user = "gw.hotel.f1"
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"intruder-{os.getpid()}")
    client.username_pw_set(user, mosquitto.passwords[user])
    with running_cloud(cloud_settings(db_url, mosquitto.cloud_url)) as cloud:
        client.connect("127.0.0.1", mosquitto.port)
        client.loop_start()
        try:
            forged = _tap(source="gw.hotel.f2", room="201")
            client.publish("posada/v1/hotel/f2/events", forged.to_json(), qos=1).wait_for_publish(5)
            client.publish("posada/v1/hotel/f2/status", b'{"v":1}', qos=1, retain=True).wait_for_publish(5)
            # The same session on its own floor is heard: the cloud was listening all along.
            own = _tap(source=user, room="101")
            client.publish("posada/v1/hotel/f1/events", own.to_json(), qos=1).wait_for_publish(5)
            wait_until(lambda: own.id in _ids(db_url, "hotel", "f1"), what="the floor's own event")
        finally:
            client.disconnect()
            client.loop_stop()
        assert forged.id not in _ids(db_url, "hotel", "f2")
        assert forged.id not in _ids(db_url, "hotel", "f1")
        assert cloud.get("/api/v1/rooms/hotel/f2/201/events").json() == []


def _tap(*, source: str, room: str):  # type: ignore[no-untyped-def]
    return encode(type="access.granted", source=source, seq=1,
                  data=AccessDecision(room=room, granted=True, reason="listed", credential_id="c-acl"))


def _ids(db_url: str, site: str, floor: str) -> set[str]:
    return {e.id for e in stored_events(db_url, site=site, floor=floor)}


def _room(board: list[dict], site: str, floor: str, room: str) -> dict:  # type: ignore[type-arg]
    for entry in board:
        if (entry["site"], entry["floor"]) == (site, floor):
            for row in entry["rooms"]:
                if row["room"] == room:
                    return row  # type: ignore[no-any-return]
    return {"last_access_granted": None}
