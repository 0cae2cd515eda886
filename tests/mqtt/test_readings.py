import json
from pathlib import Path

import pytest

from mqtt.codec import decode
from mqtt.readings import GATEWAY_MEASUREMENT, READINGS, ROOM_MEASUREMENT, readings_of

GOLDEN = Path(__file__).parent / "golden"
TELEMETRY_GOLDEN = sorted(GOLDEN.glob("telemetry-*.json"))
TOPIC = "posada/v1/hq/f1/rooms/{room}/telemetry"


@pytest.mark.parametrize("path", TELEMETRY_GOLDEN, ids=lambda p: p.name)
def test_golden_telemetry_round_trips_and_uses_only_catalog_readings(path):
    raw = json.loads(path.read_text())
    message = decode(TOPIC.format(room=raw["data"]["room"]), path.read_bytes())
    assert message.known
    keys = set(message.data.readings)
    for sample in message.data.samples:
        keys |= set(sample.readings)
    assert keys and keys <= set(READINGS)
    topic = TOPIC.format(room=raw["data"]["room"])
    assert decode(topic, message.envelope.to_json()) == message


def test_every_reading_belongs_to_a_known_measurement_and_has_a_unique_metric():
    assert {s.measurement for s in READINGS.values()} == {ROOM_MEASUREMENT, GATEWAY_MEASUREMENT}
    metrics = [s.metric for s in READINGS.values()]
    assert len(metrics) == len(set(metrics))
    assert readings_of(GATEWAY_MEASUREMENT) and readings_of(ROOM_MEASUREMENT)
