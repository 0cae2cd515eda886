"""Where a gateway's telemetry comes from besides the door-node bus.

On a Pi: ``SystemHealth`` (thermal zone, disk, outbox, backlog, clock). On a simulated floor:
``SimRoomSensors`` per room, whose door and occupancy follow the simulated guests, and
``SimGatewayHealth`` carrying the gateway's real outbox depth, backlog depth and clock offset.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from edge.hw.iio import IIO_DEVICES, IioClimate, IioPower
from edge.telemetry.runner import TelemetryRunner
from edge.telemetry.sim import SimGatewayHealth, SimRoomSensors
from edge.telemetry.sysfs import SystemHealth


@dataclass(frozen=True, slots=True)
class RoomView:
    door_open: bool
    occupied: bool


@dataclass(frozen=True, slots=True)
class GatewayFacts:
    """The gateway's own figures, read when telemetry is collected."""

    outbox_depth: Callable[[], int]
    clock_offset_s: Callable[[], float | None]


def add_system_health(runner: TelemetryRunner, *, data_dir: Path, facts: GatewayFacts) -> None:
    runner.add_sensor(SystemHealth(data_dir=data_dir, outbox_depth=facts.outbox_depth,
                                   clock_offset_s=facts.clock_offset_s,
                                   backlog_depth=runner.backlog_depth))


def add_climate_sensors(runner: TelemetryRunner, sensors: Mapping[str, str],
                        root: Path = IIO_DEVICES) -> None:
    """Each room's climate sensor through the kernel's IIO sysfs (a device name or its path)."""
    for room, device in sensors.items():
        if device.startswith("/"):
            runner.add_sensor(IioClimate(room, device=Path(device)))
        else:
            runner.add_sensor(IioClimate(room, name=device, root=root))


def add_power_meters(runner: TelemetryRunner, meters: Mapping[str, str],
                     root: Path = IIO_DEVICES) -> None:
    """Each metered room's circuit power through the kernel's IIO sysfs (a device name or its path)."""
    for room, device in meters.items():
        if device.startswith("/"):
            runner.add_sensor(IioPower(room, device=Path(device)))
        else:
            runner.add_sensor(IioPower(room, name=device, root=root))


def add_simulated_floor(runner: TelemetryRunner, *, rooms: Sequence[str], seed: int | None,
                        room_view: Callable[[str], RoomView],
                        facts: GatewayFacts) -> list[SimRoomSensors]:
    """Simulated room sensors and gateway health; returns the room sensors (tests set values)."""
    sensors = [SimRoomSensors(room=room, seed=(seed or 0) + index) for index, room in enumerate(rooms)]

    def step_rooms() -> None:
        for sensor in sensors:
            sensor.step()
            view = room_view(sensor.room)
            sensor.door_open, sensor.occupied = view.door_open, view.occupied

    for index, sensor in enumerate(sensors):
        runner.add_sensor(sensor, before_collect=step_rooms if index == 0 else None)
    health = SimGatewayHealth()

    def refresh_health() -> None:
        health.outbox_depth = facts.outbox_depth()
        health.telemetry_backlog = runner.backlog_depth()
        health.clock_offset_s = round(facts.clock_offset_s() or 0.0, 3)

    runner.add_sensor(health, before_collect=refresh_health)
    return sensors
