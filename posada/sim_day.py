"""A hotel floor's day, as rates (pure): how often something happens in a room, hour by hour.

The simulated floor (``edge.sim.FloorSimulator``) takes one step at a time: a tap, a walk
through the door, motion, do-not-disturb. A step makes one to three events. A busy guest day is
about 50-100 events a room (``docs/capacity.md``): some 40 steps, most of them in the morning
(check-out, breakfast, housekeeping) and the evening (guests coming back), few at night.
"""

from __future__ import annotations

from dataclasses import dataclass

# Relative activity per hour of the local day (0 = 00:00-01:00); the mean is 1.
HOURLY = (
    0.15, 0.08, 0.05, 0.05, 0.05, 0.1,  # night
    0.4, 1.6, 2.4, 2.2, 1.8, 1.3,  # morning: breakfast, check-out, housekeeping
    1.0, 0.9, 0.9, 1.1, 1.3, 1.5,  # afternoon: check-in from 15:00
    1.8, 1.9, 1.7, 1.3, 0.8, 0.4,  # evening: guests come back, turndown
)
STEPS_PER_ROOM_DAY = 40.0  # a busy day's steps per room (about 50-100 events)
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class DayProfile:
    """Steps per second of a floor at a simulated hour; ``speed`` runs the day that much faster."""

    rooms: int
    speed: float = 1.0
    steps_per_room_day: float = STEPS_PER_ROOM_DAY

    def __post_init__(self) -> None:
        if self.rooms < 1 or self.speed <= 0 or self.steps_per_room_day <= 0:
            raise ValueError("a floor needs rooms, a positive speed and a positive rate")

    def steps_per_second(self, hour: float) -> float:
        """The floor's rate of steps (wall-clock seconds) at ``hour`` of the simulated day."""
        weight = HOURLY[int(hour) % 24] / (sum(HOURLY) / 24)
        return self.rooms * self.steps_per_room_day * weight * self.speed / SECONDS_PER_DAY

    def hour_at(self, elapsed_s: float, *, start_hour: float) -> float:
        """The simulated hour after ``elapsed_s`` wall-clock seconds from ``start_hour``."""
        return (start_hour + elapsed_s * self.speed / 3600) % 24
