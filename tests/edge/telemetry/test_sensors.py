import pytest

from edge.telemetry.errors import SensorError
from edge.telemetry.sensors import BusSensor
from edge.telemetry.sysfs import SystemHealth, read_cpu_temp_c


def test_cpu_temperature_is_read_from_millidegrees(tmp_path):
    zone = tmp_path / "temp"
    zone.write_text("52312\n")
    assert read_cpu_temp_c(zone) == pytest.approx(52.312)


def test_garbage_in_thermal_zone_is_a_sensor_error(tmp_path):
    zone = tmp_path / "temp"
    zone.write_text("hot")
    with pytest.raises(SensorError, match="CPU temperature"):
        read_cpu_temp_c(zone)


def test_system_health_reports_disk_outbox_clock_and_backlog(tmp_path):
    zone = tmp_path / "temp"
    zone.write_text("45000")
    health = SystemHealth(data_dir=tmp_path, outbox_depth=lambda: 7, clock_offset_s=lambda: -0.25,
                          backlog_depth=lambda: 3, thermal_zone=zone)
    values = health.read()
    assert health.room == "gateway"
    assert values["outbox_depth"] == 7 and values["telemetry_backlog"] == 3
    assert values["clock_offset_s"] == -0.25 and values["cpu_temp_c"] == 45.0
    assert 0 < values["disk_free_pct"] <= 100


def test_system_health_without_thermal_zone_or_clock_leaves_them_out(tmp_path):
    health = SystemHealth(data_dir=tmp_path, outbox_depth=lambda: 0, clock_offset_s=lambda: None,
                          thermal_zone=tmp_path / "absent")
    assert set(health.read()) == {"disk_free_pct", "outbox_depth"}


def test_bus_sensor_coerces_values_to_catalog_kinds():
    sensor = BusSensor("101", lambda: {"temperature_c": 21, "door_open": 1, "lock_battery_v": 2.9})
    values = sensor.read()
    assert values == {"temperature_c": 21.0, "door_open": True, "lock_battery_v": 2.9}
    assert isinstance(values["temperature_c"], float)


def test_bus_sensor_turns_a_timeout_into_a_sensor_error():
    def fetch():
        raise TimeoutError("no frame in 200 ms")

    with pytest.raises(SensorError, match="did not answer"):
        BusSensor("101", fetch).read()


def test_bus_sensor_refuses_readings_outside_the_catalog():
    with pytest.raises(SensorError, match="not in the catalog"):
        BusSensor("101", lambda: {"co2_ppm": 400}).read()
