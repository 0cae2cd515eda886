"""A room circuit's power through the kernel's IIO sysfs interface (ina2xx-adc): the committed
tree, the twin, bad input, and the gateway's setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.errors import ConfigError
from edge.hw.iio import IioPower
from edge.hw.iio_sim import SimulatedIio
from edge.telemetry.errors import SensorError

TREES = Path(__file__).parent / "iio_trees"


def test_ina226_tree_gives_watts_from_raw_counts_and_the_milliwatt_scale() -> None:
    assert IioPower("101", root=TREES / "ina226").read() == {"power_w": 46.0}  # 1840 counts of 25 mW


def test_the_twin_is_read_like_the_kernel_s_tree_and_follows_the_load(tmp_path: Path) -> None:
    iio = SimulatedIio(tmp_path)
    iio.add_bme280(temperature_c=21.0, humidity_pct=40.0)  # another device on the bus
    device = iio.add_ina226(power_w=1200.0)
    meter = IioPower("102", root=tmp_path)
    assert meter.read() == {"power_w": 1200.0}
    iio.set_power(device, power_w=0.0)
    assert meter.read() == {"power_w": 0.0}


def test_a_device_without_a_power_channel_or_absent_is_a_sensor_error(tmp_path: Path) -> None:
    iio = SimulatedIio(tmp_path)
    climate = iio.add_bme280(temperature_c=21.0, humidity_pct=40.0)
    with pytest.raises(SensorError, match="no power channel"):
        IioPower("101", device=climate).read()
    with pytest.raises(SensorError, match="no IIO device named 'ina219'"):
        IioPower("101", name="ina219", root=tmp_path).read()


@pytest.mark.parametrize("text", ["", "garbage", "nan", "-40", "1e12", "\xff", "9" * 100])
def test_hostile_or_impossible_values_are_sensor_errors_never_readings(tmp_path: Path, text: str) -> None:
    device = SimulatedIio(tmp_path).add_ina226(power_w=50.0)
    SimulatedIio.write(device, "in_power2_raw", text)
    with pytest.raises(SensorError):
        IioPower("101", root=tmp_path).read()


def test_a_pi_gateway_reads_its_power_meters_from_its_settings(tmp_path: Path) -> None:
    from edge.app import Gateway
    from edge.config import load_config
    from edge.sim import SimulatedDoors
    from edge.telemetry.feeds import add_power_meters

    overrides = {"site": "hotel", "floor": "f1", "rooms": ["101", "102"], "data_dir": tmp_path,
                 "site_number": 4, "floor_number": 1}
    with pytest.raises(ConfigError, match="rooms not on this floor"):
        load_config(env={"POSADA_POWER_METERS": '{"999": "ina226"}'}, overrides=overrides)
    config = load_config(env={"POSADA_POWER_METERS": '{"101": "ina226"}'}, overrides=overrides)
    gateway = Gateway(config, hardware=SimulatedDoors())
    try:
        add_power_meters(gateway.telemetry_runner, config.power_meters, root=TREES / "ina226")
        [meter] = [s for s in gateway.telemetry_runner.sensors if isinstance(s, IioPower)]
        assert (meter.room, meter.read()) == ("101", {"power_w": 46.0})
    finally:
        gateway.store.close()
