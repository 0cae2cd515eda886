"""A simulated floor's telemetry lands in the real cloud app's latest values (real Mosquitto)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from cloud.app import create_app
from cloud.settings import Settings
from edge.app import build
from edge.telemetry.sim import SimRoomSensors
from tests.edge.cloud_peer import wait_until
from tests.edge.gateway_factory import gateway_config
from tests.support.broker import Mosquitto
from tests.support.staff import sign_in_staff


def _latest(client: TestClient) -> dict[str, dict[str, Any]]:
    response = client.get("/api/v1/telemetry/rooms", params={"site": "hotel", "floor": "f2"})
    assert response.status_code == 200, response.text
    return {row["room"]: row["readings"] for row in response.json()}


def test_a_simulated_floor_shows_its_readings_in_the_clouds_latest_values(
    own_mosquitto: Mosquitto, tmp_path: Path, sqlite_url: str
) -> None:
    settings = Settings(database_url=sqlite_url, mqtt_url=own_mosquitto.cloud_url,
                        mqtt_client_id=f"cloud-{os.getpid()}-{time.monotonic_ns()}")
    gateway, _simulator = build(gateway_config(own_mosquitto, tmp_path / "edge", floor="f2",
                                               telemetry_interval_s=0.2, sim_seed=7))
    with TestClient(create_app(settings)) as client:
        wait_until(lambda: client.get("/health").status_code == 200, what="cloud up")
        sign_in_staff(client, site="hotel")
        gateway.start()
        try:
            wait_until(lambda: set(_latest(client)) >= {"101", "102", "103", "gateway"},
                       what="every room and the gateway in the latest values")
            sensors = {s.room: s for s in gateway.telemetry_runner.sensors
                       if isinstance(s, SimRoomSensors)}
            sensors["102"].temperature_c = 35.5  # far beyond the deadband: sent at the next tick
            wait_until(lambda: abs(_latest(client)["102"]["temperature_c"]["value"] - 35.5) < 0.5,
                       what="the changed temperature in the cloud")
            latest = _latest(client)
        finally:
            gateway.stop()
    room = latest["101"]
    assert {"temperature_c", "humidity_pct", "occupied", "door_open", "lock_battery_v",
            "link_quality_pct"} <= set(room)
    assert room["occupied"]["value"] is False and room["door_open"]["value"] is False
    assert latest["gateway"]["outbox_depth"]["value"] >= 0
    assert "clock_offset_s" in latest["gateway"]
