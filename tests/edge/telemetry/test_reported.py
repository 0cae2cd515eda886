"""Readings pushed by the door-node bus: catalog mapping and take-on-read."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from edge.telemetry.reported import ReportedSensor, bus_readings
from mqtt.readings import READINGS


def test_the_bus_link_fraction_becomes_a_percentage_and_unknown_keys_are_left_out() -> None:
    raw = {"link_quality": 0.875, "lock_battery_v": 2.91, "link_rx_errors": 3, "link_duplicates": 0}
    assert bus_readings(raw) == {"link_quality_pct": 87.5, "lock_battery_v": 2.91}


def test_a_read_takes_the_latest_reports_and_a_silent_node_then_reads_empty() -> None:
    sensor = ReportedSensor("101")
    sensor.report({"lock_battery_v": 3.0, "link_quality": 1.0})
    sensor.report({"lock_battery_v": 2.9})
    assert sensor.read() == {"lock_battery_v": 2.9, "link_quality_pct": 100.0}
    assert sensor.read() == {}
    sensor.report({"link_rx_errors": 5})
    assert sensor.unmapped == 1 and sensor.read() == {}


@given(st.dictionaries(st.sampled_from([*READINGS, "link_quality", "link_rx_errors", "junk"]),
                       st.one_of(st.booleans(), st.integers(-10**6, 10**6), st.floats())))
def test_mapped_readings_are_catalog_keys_with_finite_values_of_their_kind(raw: dict) -> None:  # type: ignore[type-arg]
    for key, value in bus_readings(raw).items():
        spec = READINGS[key]
        assert isinstance(value, {"bool": bool, "int": int, "float": float}[spec.kind])
        assert isinstance(value, bool) or math.isfinite(value)
