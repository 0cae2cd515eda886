"""The telemetry worker's decoder against the contract's models: what the models refuse, it
refuses; what it accepts makes the same points as the models' path (it is stricter in one way: a
reading sent as a JSON string is refused, where pydantic's lax mode would read "21.5" as 21.5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings

from cloud.telemetry.fast_decode import TelemetryDecoder
from cloud.telemetry.points import points_of
from mqtt.codec import ContractError, Rejections, decode
from mqtt.messages import Telemetry
from tests.cloud.telemetry.test_hostile_input import payloads, topics

pytestmark = pytest.mark.unit
GOLDEN = Path(__file__).parents[2] / "mqtt" / "golden"


def _by_models(topic: str, payload: bytes) -> list[object] | None:
    try:
        message = decode(topic, payload)
    except ContractError:
        return None
    if not isinstance(message.data, Telemetry):
        return None
    return list(points_of((message.topic, message.envelope, message.data)))


@pytest.mark.parametrize(
    "name",
    [
        "telemetry-room.telemetry.json",
        "telemetry-room.telemetry-samples.json",
        "telemetry-room.telemetry-gateway.json",
    ],
)
def test_golden_telemetry_makes_the_same_points_both_ways(name: str) -> None:
    payload = (GOLDEN / name).read_bytes().strip()
    room = json.loads(payload)["data"]["room"]
    topic = f"posada/v1/hotel/f1/rooms/{room}/telemetry"
    points, valid = TelemetryDecoder(Rejections()).points([(topic, payload)])
    assert valid == 1 and points and points == _by_models(topic, payload)


@settings(max_examples=50, deadline=None)
@given(topics, payloads)
@pytest.mark.slow
def test_the_decoder_refuses_what_the_models_refuse_and_agrees_on_the_rest(
    topic: str, payload: bytes
) -> None:
    rejections = Rejections()
    points, valid = TelemetryDecoder(rejections).points([(topic, payload)])
    expected = _by_models(topic, payload)
    if expected is None:
        assert valid == 0 and points == []
    elif valid:
        assert points == expected
    assert valid + sum(v for k, v in rejections.snapshot().items() if not k.startswith("telemetry.")) == 1


def test_reasons_are_counted() -> None:
    rejections = Rejections()
    topic = "posada/v1/hq/f1/rooms/101/telemetry"
    TelemetryDecoder(rejections).points(
        [
            (topic, b"\xff"),
            (topic, b"[]"),
            (topic, b'{"v":2}'),
            ("posada/v1/hq/f1/events", b"{}"),
            (
                topic,
                b'{"v":1,"source":"gw","type":"room.telemetry","data":{"room":"101","readings":{"x":"1"}}}',
            ),
            (topic, b" " * 70_000),
        ]
    )
    assert rejections.snapshot() == {"json": 1, "envelope": 1, "version": 1, "type": 1, "data": 1, "size": 1}
