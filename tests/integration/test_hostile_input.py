"""Garbage under a gateway's own name leaves the cloud running and counting; real events still land."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from fastapi.testclient import TestClient
from paho.mqtt.enums import CallbackAPIVersion

from edge.app import Gateway
from mqtt.messages import AccessDecision
from tests.integration.harness import (
    Wiring,
    gateway_config,
    outbox_size,
    running_cloud,
    running_gateway,
    stored_events,
    wait_until,
)

pytestmark = pytest.mark.service
CLOUD_READS = ("events", "status", "ack", "rooms/101/state", "rooms/101/telemetry")
TOPICS = (*CLOUD_READS, "cmd", "rooms/999/state")


def _garbage(rng: random.Random) -> list[bytes]:
    envelope = {"v": 1, "id": "x", "type": "access.granted", "source": "gw.hotel.f1",
                "ts": "2026-01-01T00:00:00Z", "data": {}}
    wrong_types = [
        {**envelope, "id": 7}, {**envelope, "ts": "yesterday"}, {**envelope, "v": "1"},
        {**envelope, "data": {"room": ["101"], "granted": "maybe", "reason": 3}},
        {**envelope, "seq": -5, "data": {"room": "101", "granted": True, "reason": "x"}},
        {**envelope, "type": "room.state", "data": {"room": "101", "door": 42}},
        {**envelope, "type": "\u0000" * 70},
    ]
    return [
        rng.randbytes(64), rng.randbytes(4096), b"", b"null", b"[1,2]", b'"text"', b"1e999", b"{" * 70_000,
        b"\xff\xfe" + "ünï".encode("utf-16"), json.dumps({"v": 1}).encode(), b"x" * 200_000,
        *(json.dumps(w).encode() for w in wrong_types),
    ]


def _record(gateway: Gateway, count: int, *, tag: str) -> set[str]:
    return {gateway.record("access.granted", AccessDecision(
        room="101", granted=True, reason="listed", credential_id=f"{tag}{i}")).id for i in range(count)}


def _rejected(cloud: TestClient) -> int:
    return sum(cloud.get("/api/v1/ingest").json()["rejections"].values())


def test_garbage_on_every_topic_is_counted_while_the_gateways_real_events_keep_arriving(
        wiring: Wiring, db_url: str, tmp_path: Path) -> None:
    config = gateway_config(wiring.gateway_url, tmp_path, site="hotel", floor="f1",
                            mqtt_protocol=wiring.protocol)
    garbage = _garbage(random.Random(5))
    hostile = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"hostile-{os.getpid()}")
    if wiring.hostile_user:
        hostile.username_pw_set(*wiring.hostile_user)
    with running_cloud(wiring.settings(db_url)) as cloud, running_gateway(config) as gw:
        hostile.connect("127.0.0.1", wiring.port)
        hostile.loop_start()
        try:
            expected = _record(gw, 20, tag="before")
            for topic in TOPICS:
                for body in garbage:
                    hostile.publish(f"posada/v1/hotel/f1/{topic}", body, qos=1,
                                    retain=topic != "events").wait_for_publish(10)
                expected |= _record(gw, 5, tag=topic)
            oversize = hostile.publish("posada/v1/hotel/f1/events", b"x" * 1_500_000, qos=1)
            if wiring.name == "mosquitto":  # past its packet limit Mosquitto drops the sender itself
                wait_until(lambda: not hostile.is_connected(), what="the oversize sender dropped")
            else:
                oversize.wait_for_publish(10)
        finally:
            hostile.disconnect()
            hostile.loop_stop()
        floor_garbage = len(garbage) * len(CLOUD_READS)
        wait_until(lambda: _rejected(cloud) >= floor_garbage, timeout=30, what="every garbage counted")
        expected |= _record(gw, 20, tag="after")
        wait_until(lambda: outbox_size(gw) == 0, timeout=30, what="the gateway's events confirmed")
        assert cloud.get("/health").status_code == 200
        stored = {e.id for e in stored_events(db_url, site="hotel", floor="f1")}
        assert expected <= stored
        rejections = cloud.get("/api/v1/ingest").json()["rejections"]
        assert {"events/json", "events/size", "events/data"} <= set(rejections)
