"""Gateways for tests: settings from the test broker and a temporary data directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edge.app import Gateway
from edge.config import GatewayConfig, load_config
from tests.support.broker import Mosquitto


def gateway_config(broker: Mosquitto, data_dir: Path, *, site: str = "hotel", floor: str = "f1",
                   **overrides: Any) -> GatewayConfig:
    values: dict[str, Any] = {
        "site": site, "floor": floor, "rooms": ["101", "102", "103"],
        "mqtt_url": broker.gateway_url(site, floor), "data_dir": data_dir,
        "site_number": 1, "floor_number": 1, "trust_system_clock": True,
        "reconnect_min_s": 1, "reconnect_max_s": 1, "tick_s": 0.2,
    }
    values.update(overrides)
    return load_config(env={}, overrides=values)


def make_gateway(broker: Mosquitto, data_dir: Path, **overrides: Any) -> Gateway:
    return Gateway(gateway_config(broker, data_dir, **overrides))
