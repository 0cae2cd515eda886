"""The InfluxDB adapter against a real server speaking the InfluxDB 2 write API."""

from datetime import UTC, datetime, timedelta

import pytest

from cloud.telemetry.errors import TelemetryWriteError
from cloud.telemetry.influx import InfluxSink
from cloud.telemetry.points import TelemetryPoint

pytestmark = pytest.mark.service


def test_points_are_written_as_measurement_field_metrics_with_site_floor_room(victoria):
    now = datetime.now(UTC).replace(microsecond=0)
    sink = InfluxSink(url=victoria.url, org="posada", bucket="telemetry", token="t")
    points = [
        TelemetryPoint("room", "inf", "f1", "101", now - timedelta(seconds=i),
                       {"temperature_c": 20.0 + i, "door_open": i % 2 == 0})
        for i in range(3)
    ] + [TelemetryPoint("gateway", "inf", "f1", "gateway", now, {"outbox_depth": 7})]
    assert sink.write(points) == 4
    sink.close()
    [temp] = victoria.export('room_temperature_c{site="inf"}')
    assert temp["metric"] == {"__name__": "room_temperature_c", "site": "inf",
                              "floor": "f1", "room": "101"}
    assert sorted(temp["values"]) == [20.0, 21.0, 22.0]
    assert sorted(temp["timestamps"]) == sorted(
        int((now - timedelta(seconds=i)).timestamp() * 1000) for i in range(3))
    [door] = victoria.export('room_door_open{site="inf"}')
    assert sorted(door["values"]) == [0, 1, 1]
    [depth] = victoria.export('gateway_outbox_depth{site="inf"}')
    assert depth["values"] == [7] and depth["metric"]["room"] == "gateway"


def test_unreachable_server_is_a_transient_write_error():
    from tests.support.ports import free_port

    sink = InfluxSink(url=f"http://127.0.0.1:{free_port()}", org="o", bucket="b", token="t",
                      timeout_ms=500)
    point = TelemetryPoint("room", "x", "f1", "101", datetime.now(UTC), {"occupied": True})
    with pytest.raises(TelemetryWriteError) as caught:
        sink.write([point])
    assert caught.value.permanent is False
