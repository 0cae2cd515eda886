"""The broker flavours the end-to-end tests run over."""

from __future__ import annotations

import pytest

from tests.integration.harness import Wiring
from tests.support.broker import Mosquitto
from tests.support.ports import free_port


@pytest.fixture(params=["mosquitto", "embedded"])
def wiring(request: pytest.FixtureRequest) -> Wiring:
    """Floor hotel/f1 over a Mosquitto of its own (ACL, MQTT 5) or the cloud's embedded broker (3.1.1)."""
    if request.param == "embedded":
        port = free_port()
        return Wiring(name="embedded", cloud_url=None, gateway_url=f"mqtt://127.0.0.1:{port}",
                      protocol="3.1.1", embedded_port=port)
    broker: Mosquitto = request.getfixturevalue("own_mosquitto")
    return Wiring(name="mosquitto", cloud_url=broker.cloud_url, gateway_url=broker.gateway_url("hotel", "f1"),
                  protocol="5", hostile_user=("gw.hotel.f1", broker.passwords["gw.hotel.f1"]))
