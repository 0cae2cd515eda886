"""Room climate from the Linux kernel's IIO sysfs interface: a BME280 (kernel driver ``bmp280``),
or any IIO humidity/temperature sensor (si7020, hdc100x, hts221, ...), on the Pi's I2C bus.

The kernel does the I2C and the sensor's compensation; userspace reads text files under
``/sys/bus/iio/devices/iio:deviceN/`` (Documentation/ABI/testing/sysfs-bus-iio): a processed
``in_temp_input`` in milli-degrees Celsius and ``in_humidityrelative_input`` in milli-percent,
or ``*_raw`` with ``*_scale`` and ``*_offset`` to give the same units as ``(raw + offset) *
scale``. Every value is outside input: it must parse and be physically possible, or the
reading fails with a SensorError (counted by the telemetry pump), never a wild number.
"""

from __future__ import annotations

import math
from pathlib import Path

from edge.telemetry.errors import SensorError
from edge.telemetry.sensors import Readings, normalise

IIO_DEVICES = Path("/sys/bus/iio/devices")
MAX_FILE_BYTES = 64
# What the sensors can measure at all (BME280: -40..85 °C, 0..100 %RH); outside is a fault.
TEMP_RANGE_C = (-40.0, 85.0)
HUMIDITY_RANGE = (0.0, 100.0)
POWER_RANGE_W = (0.0, 23_000.0)  # a room's circuit: 100 A at 230 V at most


def find_device(name: str, root: Path = IIO_DEVICES) -> Path:
    """The IIO device whose ``name`` file says ``name`` (e.g. ``bme280``)."""
    try:
        entries = sorted(root.glob("iio:device*"))
    except OSError as exc:
        raise SensorError(f"cannot list IIO devices in {root}: {exc}") from exc
    for entry in entries:
        try:
            if (entry / "name").read_text(encoding="ascii").strip() == name:
                return entry
        except (OSError, UnicodeDecodeError):
            continue
    raise SensorError(f"no IIO device named {name!r} under {root}")


def _number(path: Path) -> float:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:  # EIO when the chip does not answer on the bus
        raise SensorError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise SensorError(f"{path} holds more than a number")
    try:
        value = float(raw.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise SensorError(f"{path} is not a number: {raw[:20]!r}") from None
    if not math.isfinite(value):
        raise SensorError(f"{path} is not a finite number")
    return value


def channel_milli(device: Path, channel: str) -> float | None:
    """A channel in the ABI's milli-units: processed ``_input``, else ``(raw + offset) * scale``;
    None when the device has no such channel."""
    processed = device / f"in_{channel}_input"
    if processed.exists():
        return _number(processed)
    raw = device / f"in_{channel}_raw"
    if not raw.exists():
        return None
    offset_file, scale_file = device / f"in_{channel}_offset", device / f"in_{channel}_scale"
    offset = _number(offset_file) if offset_file.exists() else 0.0
    scale = _number(scale_file) if scale_file.exists() else 1.0
    return (_number(raw) + offset) * scale


def _within(value: float, bounds: tuple[float, float], what: str, device: Path) -> float:
    if not bounds[0] <= value <= bounds[1]:
        raise SensorError(f"{device}: {what} {value:g} is outside {bounds[0]:g}..{bounds[1]:g}")
    return value


class IioClimate:
    """Temperature and humidity of one room from one IIO device (found by name or given)."""

    def __init__(self, room: str, *, device: Path | None = None, name: str = "bme280",
                 root: Path = IIO_DEVICES) -> None:
        self._room, self._device, self._name, self._root = room, device, name, root

    @property
    def room(self) -> str:
        return self._room

    def read(self) -> Readings:
        device = self._device or find_device(self._name, self._root)  # found again after a replug
        temp = channel_milli(device, "temp")
        humidity = channel_milli(device, "humidityrelative")
        if temp is None and humidity is None:
            raise SensorError(f"{device} has neither a temperature nor a humidity channel")
        values: dict[str, float] = {}
        if temp is not None:
            values["temperature_c"] = round(_within(temp / 1000, TEMP_RANGE_C, "temperature", device), 2)
        if humidity is not None:
            values["humidity_pct"] = round(_within(humidity / 1000, HUMIDITY_RANGE, "humidity", device), 1)
        return normalise(values)


def power_channel(device: Path) -> str | None:
    """The device's power channel (``power`` or ``power2`` as the ina2xx driver numbers it)."""
    for path in sorted(device.glob("in_power*_input")) + sorted(device.glob("in_power*_raw")):
        return path.name.removeprefix("in_").rsplit("_", 1)[0]
    return None


class IioPower:
    """A room circuit's power from an IIO power monitor (the kernel's ``ina2xx-adc`` driver for
    an INA219/INA226 on the Pi's I2C bus): ``in_powerN`` in milliwatts, as the ABI gives it."""

    def __init__(self, room: str, *, device: Path | None = None, name: str = "ina226",
                 root: Path = IIO_DEVICES) -> None:
        self._room, self._device, self._name, self._root = room, device, name, root

    @property
    def room(self) -> str:
        return self._room

    def read(self) -> Readings:
        device = self._device or find_device(self._name, self._root)
        channel = power_channel(device)
        milliwatts = channel_milli(device, channel) if channel else None
        if milliwatts is None:
            raise SensorError(f"{device} has no power channel")
        return normalise({"power_w": round(_within(milliwatts / 1000, POWER_RANGE_W, "power", device), 1)})
