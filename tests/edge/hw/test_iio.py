"""Room climate through the kernel's IIO sysfs interface: the committed trees, the twin, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.hw.iio import IioClimate, channel_milli, find_device
from edge.hw.iio_sim import SimulatedIio
from edge.telemetry.errors import SensorError

TREES = Path(__file__).parent / "iio_trees"


def test_bme280_tree_is_found_by_name_among_other_iio_devices() -> None:
    assert find_device("bme280", TREES / "bme280").name == "iio:device1"
    sensor = IioClimate("101", root=TREES / "bme280")
    assert sensor.read() == {"temperature_c": 23.17, "humidity_pct": 42.0}


def test_raw_scale_offset_tree_gives_the_same_units() -> None:
    sensor = IioClimate("101", name="si7020", root=TREES / "si7020")
    assert sensor.read() == {"temperature_c": 23.0, "humidity_pct": 45.0}


def test_a_missing_device_is_a_sensor_error() -> None:
    with pytest.raises(SensorError, match="no IIO device named 'sht4x'"):
        IioClimate("101", name="sht4x", root=TREES / "bme280").read()


def test_the_twin_is_read_like_the_kernel_s_tree(tmp_path: Path) -> None:
    iio = SimulatedIio(tmp_path)
    iio.add("ads1015", {"in_voltage0_raw": "12"})
    device = iio.add_bme280(temperature_c=21.456, humidity_pct=38.2)
    sensor = IioClimate("102", root=tmp_path)
    assert sensor.read() == {"temperature_c": 21.46, "humidity_pct": 38.2}
    iio.set_climate(device, temperature_c=-3.5, humidity_pct=99.9)
    assert sensor.read() == {"temperature_c": -3.5, "humidity_pct": 99.9}


@pytest.mark.parametrize("text", ["", "garbage", "nan", "inf", "1e400", "104000", "-50000",
                                  "23170 41953", "\xff\xfe", "9" * 100])
def test_hostile_values_are_sensor_errors_never_readings(tmp_path: Path, text: str) -> None:
    iio = SimulatedIio(tmp_path)
    device = iio.add_bme280(temperature_c=21.0, humidity_pct=40.0)
    file = "in_humidityrelative_input" if text in ("104000", "-50000") else "in_temp_input"
    iio.write(device, file, text)
    with pytest.raises(SensorError):
        IioClimate("101", root=tmp_path).read()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=80))
def test_any_bytes_in_a_channel_file_read_as_a_plausible_value_or_an_error(data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        device = SimulatedIio(Path(folder)).add_bme280(temperature_c=20.0, humidity_pct=40.0)
        (device / "in_temp_input").write_bytes(data)
        try:
            readings = IioClimate("101", device=device).read()
        except SensorError:
            return
        assert -40.0 <= float(readings["temperature_c"]) <= 85.0


def test_a_device_with_neither_channel_is_refused(tmp_path: Path) -> None:
    device = SimulatedIio(tmp_path).add("bme280", {"in_pressure_input": "100.1"})
    assert channel_milli(device, "temp") is None
    with pytest.raises(SensorError, match="neither"):
        IioClimate("101", device=device).read()


def test_a_pi_gateway_reads_the_rooms_climate_sensors_from_its_settings(tmp_path: Path) -> None:
    from edge.app import Gateway
    from edge.config import load_config
    from edge.sim import SimulatedDoors
    from edge.telemetry.feeds import add_climate_sensors

    config = load_config(env={"POSADA_CLIMATE_SENSORS": '{"101": "bme280", "102": "/nonexistent"}'},
                         overrides={"site": "hotel", "floor": "f1", "rooms": ["101", "102"],
                                    "data_dir": tmp_path, "site_number": 4, "floor_number": 1})
    gateway = Gateway(config, hardware=SimulatedDoors())
    try:
        add_climate_sensors(gateway.telemetry_runner, config.climate_sensors, root=TREES / "bme280")
        sensors = {s.room: s for s in gateway.telemetry_runner.sensors}
        assert sensors["101"].read() == {"temperature_c": 23.17, "humidity_pct": 42.0}
        with pytest.raises(SensorError):
            sensors["102"].read()
    finally:
        gateway.store.close()
