"""Lockout after repeated failed sign-ins: a pure policy over a small counter state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class LockState:
    failures: int = 0
    window_start: datetime | None = None
    locked_until: datetime | None = None


CLEAR = LockState()


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    threshold: int
    window: timedelta
    duration: timedelta

    def is_locked(self, state: LockState, *, now: datetime) -> bool:
        return state.locked_until is not None and now < state.locked_until

    def after_failure(self, state: LockState, *, now: datetime) -> LockState:
        """Count a failure; the ``threshold``-th failure within ``window`` locks for ``duration``."""
        if self.is_locked(state, now=now):
            return state  # failures while locked neither extend nor shorten the lock
        fresh = state.window_start is None or now - state.window_start > self.window
        failures = 1 if fresh else state.failures + 1
        window_start = now if fresh else state.window_start
        if failures >= self.threshold:
            return LockState(failures=0, window_start=None, locked_until=now + self.duration)
        return LockState(failures=failures, window_start=window_start, locked_until=None)
