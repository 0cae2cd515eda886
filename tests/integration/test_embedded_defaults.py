"""The out-of-the-box setup: the embedded amqtt broker (MQTT 3.1.1), and ``posada demo``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
from tests.support.ports import free_port

pytestmark = pytest.mark.service


def test_a_tap_over_the_embedded_broker_reaches_the_board(db_url: str, tmp_path: Path) -> None:
    port = free_port()
    settings = cloud_settings(db_url, None, embedded_broker_port=port)
    config = gateway_config(f"mqtt://127.0.0.1:{port}", tmp_path, site="hotel", floor="f1",
                            mqtt_protocol="3.1.1")
    with running_cloud(settings) as cloud, running_gateway(config) as gw:
        card = give_card(gw, "103")
        assert gw.card_presented("103", card)
        assert not gw.card_presented("101", card)  # a card of 103 only
        wait_until(lambda: outbox_size(gw) == 0, what="the cloud confirmed every event")
        wait_until(lambda: _room(cloud.get("/api/v1/board").json(), "103").get("last_access_granted"),
                   what="the tap on the board")
        assert _room(cloud.get("/api/v1/board").json(), "101")["last_access_granted"] is False
        taps = [e for e in stored_events(db_url, site="hotel", floor="f1") if e.type.startswith("access.")]
        assert sorted((e.room, e.type) for e in taps) == [("101", "access.denied"), ("103", "access.granted")]
        gateway = next(f["gateway"] for f in cloud.get("/api/v1/board").json() if f["floor"] == "f1")
        assert gateway["state"] == "online"


def test_the_demo_runs_end_to_end_and_exits_zero(tmp_path: Path) -> None:
    http, mqtt = free_port(), free_port()
    result = subprocess.run(
        [sys.executable, "-m", "posada.cli", "demo", "--seconds", "1", "--port", str(http),
         "--mqtt-port", str(mqtt), "--data-dir", str(tmp_path / "demo"), "--fresh"],
        capture_output=True, timeout=120, env={"PATH": "/usr/bin:/bin"}, check=False)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    assert (tmp_path / "demo" / "cloud.db").exists()


def _room(board: list[dict], room: str) -> dict:  # type: ignore[type-arg]
    for floor in board:
        for row in floor["rooms"]:
            if (row["site"], row["floor"], row["room"]) == ("hotel", "f1", room):
                return row  # type: ignore[no-any-return]
    return {}
