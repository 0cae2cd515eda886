"""The IIO adapter's simulated twin: a sysfs-shaped tree of IIO devices in a folder, written the way
the kernel's drivers present them, so ``edge.hw.iio`` reads it exactly as it reads /sys."""

from __future__ import annotations

from pathlib import Path


class SimulatedIio:
    """IIO devices under ``root`` (``iio:device0``, ``iio:device1``, ...)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def add(self, name: str, files: dict[str, str]) -> Path:
        device = self.root / f"iio:device{len(list(self.root.glob('iio:device*')))}"
        device.mkdir()
        (device / "name").write_text(name + "\n")
        for file, text in files.items():
            (device / file).write_text(text + "\n")
        return device

    def add_bme280(self, *, temperature_c: float, humidity_pct: float) -> Path:
        """As the kernel's bmp280 driver shows a BME280: processed values in milli-units."""
        device = self.add("bme280", {
            "in_temp_oversampling_ratio": "2", "in_humidityrelative_oversampling_ratio": "1",
            "in_pressure_oversampling_ratio": "16", "in_pressure_input": "100.734765625",
        })
        self.set_climate(device, temperature_c=temperature_c, humidity_pct=humidity_pct)
        return device

    def add_ina226(self, *, power_w: float) -> Path:
        """As the kernel's ina2xx-adc driver shows an INA226: raw counts with a scale in milliwatts."""
        device = self.add("ina226", {
            "in_voltage0_raw": "1250", "in_voltage0_scale": "0.002500000",
            "in_voltage1_raw": "18400", "in_voltage1_scale": "1.250000000",
            "in_current3_raw": "4300", "in_current3_scale": "1.000000000",
            "in_power2_scale": "25.000000000", "integration_time": "0.001100",
        })
        self.set_power(device, power_w=power_w)
        return device

    @staticmethod
    def set_power(device: Path, *, power_w: float) -> None:
        (device / "in_power2_raw").write_text(f"{round(power_w * 1000 / 25)}\n")

    @staticmethod
    def set_climate(device: Path, *, temperature_c: float, humidity_pct: float) -> None:
        (device / "in_temp_input").write_text(f"{round(temperature_c * 1000)}\n")
        (device / "in_humidityrelative_input").write_text(f"{round(humidity_pct * 1000)}\n")

    @staticmethod
    def write(device: Path, file: str, text: str) -> None:
        """Any content at all: what a failing chip or a driver bug might leave there."""
        (device / file).write_text(text)
