"""The board follows a gateway process: offline when it dies (last will), online when it returns."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.settings import Settings
from tests.integration.harness import (
    BoardStream,
    cloud_settings,
    gateway_toml,
    served_cloud,
    spawn_gateway,
    stop_process,
    wait_until,
)
from tests.support.broker import Mosquitto
from tests.support.ports import free_port

pytestmark = pytest.mark.service


def _gateway_state(cloud: httpx.Client) -> str | None:
    for floor in cloud.get("/api/v1/board").json():
        if (floor["site"], floor["floor"]) == ("hotel", "f1") and floor["gateway"]:
            return str(floor["gateway"]["state"])
    return None


def _states(stream: BoardStream) -> list[Any]:
    return [g["state"] for g in stream.of("gateway") if (g["site"], g["floor"]) == ("hotel", "f1")]


def test_the_board_and_its_stream_show_a_killed_gateway_offline_and_back_online(
        own_mosquitto: Mosquitto, db_url: str, tmp_path: Path) -> None:
    config = gateway_toml(tmp_path / "floor.toml", mqtt_url=own_mosquitto.gateway_url("hotel", "f1"),
                          data_dir=tmp_path / "data", site="hotel", floor="f1", rooms=["101", "102"],
                          sim_rate=5)
    _kill_and_return(cloud_settings(db_url, own_mosquitto.cloud_url), config, tmp_path)


def test_over_the_embedded_broker_a_killed_gateway_goes_offline_and_back_online(
        db_url: str, tmp_path: Path) -> None:
    port = free_port()
    config = gateway_toml(tmp_path / "floor.toml", mqtt_url=f"mqtt://127.0.0.1:{port}",
                          data_dir=tmp_path / "data", site="hotel", floor="f1", rooms=["101", "102"],
                          sim_rate=5, mqtt_protocol="3.1.1")
    _kill_and_return(cloud_settings(db_url, None, embedded_broker_port=port), config, tmp_path)


def _kill_and_return(settings: Settings, config: Path, tmp_path: Path) -> None:
    with served_cloud(settings) as cloud:
        stream = BoardStream(cloud)
        process = spawn_gateway(config, tmp_path / "gateway.log")
        try:
            wait_until(lambda: _gateway_state(cloud) == "online", what="the board shows the gateway online")
            wait_until(lambda: "online" in _states(stream), what="the stream says online")
            wait_until(lambda: any(r["floor"] == "f1" for r in stream.of("room")), what="a room streamed")
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            wait_until(lambda: _gateway_state(cloud) == "offline", what="the last will on the board")
            wait_until(lambda: _states(stream)[-1:] == ["offline"], what="the stream says offline")

            process = spawn_gateway(config, tmp_path / "gateway.log")
            wait_until(lambda: _gateway_state(cloud) == "online", what="the gateway back online")
            wait_until(lambda: _states(stream)[-1:] == ["online"], what="the stream says online again")
            assert _states(stream).count("offline") >= 1
        finally:
            stream.close()
            stop_process(process)
