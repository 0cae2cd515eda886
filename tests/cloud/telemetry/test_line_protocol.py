import calendar
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from cloud.telemetry.influx import to_point
from cloud.telemetry.line_protocol import encode
from cloud.telemetry.points import TelemetryPoint

slugs = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)
values = st.one_of(st.booleans(), st.integers(-(2**62), 2**62),
                   st.floats(allow_nan=False, allow_infinity=False))
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                        timezones=st.just(UTC))


@given(st.sampled_from(["room", "gateway"]), slugs, slugs, slugs, instants,
       st.dictionaries(st.from_regex(r"[a-z_]{1,20}", fullmatch=True), values, min_size=1,
                       max_size=8))
def test_our_lines_equal_the_influxdb_clients_lines(measurement, site, floor, room, at, fields):
    point = TelemetryPoint(measurement, site, floor, room, at, fields)
    assert encode(point) == to_point(point).to_line_protocol()


def test_times_are_written_in_exact_epoch_milliseconds():
    base = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    for ms in range(1000):
        at = base + timedelta(milliseconds=ms)
        exact = calendar.timegm(at.utctimetuple()) * 1000 + ms
        point = TelemetryPoint("room", "s", "f", "r", at, {"occupied": True})
        assert encode(point).endswith(f" {exact}")
