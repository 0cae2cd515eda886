"""Pure sampling rules: a deadband per reading with a maximum interval, and a drain budget."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from edge.telemetry.sensors import Reading, Readings
from mqtt.readings import READINGS


def _catalog_deadbands() -> dict[str, float]:
    return {key: spec.deadband for key, spec in READINGS.items()}


@dataclass(frozen=True, slots=True)
class SamplingPolicy:
    """A reading is sent when it moved by at least its deadband (any change for booleans and
    zero deadbands), or when ``max_interval_s`` passed since it was last sent."""

    max_interval_s: float = 300.0
    deadbands: Mapping[str, float] = field(default_factory=_catalog_deadbands)

    def __post_init__(self) -> None:
        if self.max_interval_s <= 0:
            raise ValueError("max_interval_s must be positive")
        if any(band < 0 for band in self.deadbands.values()):
            raise ValueError("deadbands must not be negative")


def moved(previous: Reading, current: Reading, deadband: float) -> bool:
    if isinstance(previous, bool) or isinstance(current, bool):
        return previous != current
    if deadband == 0:
        return previous != current
    return abs(float(current) - float(previous)) >= deadband


class Sampler:
    """Remembers what was last sent per (room, reading) and decides what is due now."""

    def __init__(self, policy: SamplingPolicy | None = None) -> None:
        self._policy = policy or SamplingPolicy()
        self._sent: dict[tuple[str, str], tuple[Reading, datetime]] = {}

    def offer(self, room: str, readings: Readings, now: datetime) -> dict[str, Reading]:
        """The readings due now; those are remembered as sent."""
        due: dict[str, Reading] = {}
        for key, value in readings.items():
            last = self._sent.get((room, key))
            if last is None or self._is_due(key, last, value, now):
                due[key] = value
                self._sent[(room, key)] = (value, now)
        return due

    def _is_due(self, key: str, last: tuple[Reading, datetime], value: Reading,
                now: datetime) -> bool:
        previous, at = last
        if (now - at).total_seconds() >= self._policy.max_interval_s:
            return True
        return moved(previous, value, self._policy.deadbands.get(key, 0.0))


class DrainBudget:
    """Token bucket: at most ``rate_per_s`` backlog batches per second, ``burst`` at once."""

    def __init__(self, *, rate_per_s: float, burst: int) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be positive and burst at least 1")
        self._rate = rate_per_s
        self._burst = float(burst)
        self._tokens = float(burst)
        self._at: datetime | None = None

    def take(self, now: datetime, wanted: int) -> int:
        """How many of ``wanted`` batches may go now (and spend them)."""
        if self._at is not None:
            elapsed = max(0.0, (now - self._at).total_seconds())
            self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
        self._at = now if self._at is None or now > self._at else self._at
        granted = min(wanted, int(self._tokens))
        self._tokens -= granted
        return max(0, granted)
