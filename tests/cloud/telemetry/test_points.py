import math
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cloud.telemetry.points import all_points, coerce, points_of
from mqtt.codec import Rejections
from mqtt.readings import READINGS
from tests.cloud.telemetry.factory import item

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_room_readings_become_one_point_with_a_field_per_reading_and_site_floor_room_tags():
    [point] = points_of(item("101", at=T0, readings={"temperature_c": 21.4, "door_open": True}))
    assert (point.measurement, point.site, point.floor, point.room) == ("room", "hq", "f1", "101")
    assert point.fields == {"temperature_c": 21.4, "door_open": True}
    assert point.at == T0


def test_gateway_health_goes_to_the_gateway_measurement():
    [point] = points_of(item("gateway", at=T0, readings={"outbox_depth": 3, "cpu_temp_c": 50}))
    assert point.measurement == "gateway"
    assert point.fields == {"outbox_depth": 3, "cpu_temp_c": 50.0}
    assert isinstance(point.fields["cpu_temp_c"], float)


def test_samples_keep_their_own_times():
    samples = [(T0, {"temperature_c": 20.0}), (T0 + timedelta(minutes=1), {"temperature_c": 21.0})]
    points = points_of(item("101", at=T0 + timedelta(minutes=5), samples=samples))
    assert [(p.at, p.fields["temperature_c"]) for p in points] == [
        (T0, 20.0), (T0 + timedelta(minutes=1), 21.0)]


def test_unknown_readings_and_wrong_kinds_are_counted_and_left_out():
    rejections = Rejections()
    [point] = points_of(item("101", at=T0, readings={
        "temperature_c": 21.0, "co2_ppm": 400, "door_open": 1, "outbox_depth": 2.5}), rejections)
    assert point.fields == {"temperature_c": 21.0}
    assert rejections.snapshot() == {"telemetry.reading": 1, "telemetry.value": 2}


def test_payload_naming_another_room_than_its_topic_is_refused():
    rejections = Rejections()
    assert points_of(item("102", topic_room="101", at=T0, readings={"occupied": True}),
                     rejections) == []
    assert rejections.snapshot() == {"telemetry.room": 1}


def test_messages_without_known_readings_make_no_point():
    assert all_points([item("101", at=T0, readings={"co2_ppm": 1})]) == []


@given(st.sampled_from(sorted(READINGS)),
       st.one_of(st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True,
                                                                       allow_infinity=True)))
def test_coerced_values_always_have_the_catalog_kind_and_are_finite(key, value):
    spec = READINGS[key]
    out = coerce(spec, value)
    if out is None:
        return
    expected = {"bool": bool, "int": int, "float": float}[spec.kind]
    assert type(out) is expected
    if isinstance(out, float):
        assert math.isfinite(out)
