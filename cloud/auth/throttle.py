"""Sign-in throttling: progressive waits after repeated failures, a pure policy over a counter.

No lock an attacker could set on someone else's account: past ``free`` failures each further
attempt must wait, the wait doubling from ``first_wait`` up to ``longest_wait``, and a quiet
spell of ``window`` since the last failure forgets them. An attempt made during a wait is
refused without its password being checked and does not count. The same policy, with its own
numbers, applies per account and per client address (which slows spraying one password across
many accounts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

NO_WAIT = timedelta(0)


@dataclass(frozen=True, slots=True)
class Attempts:
    failures: int = 0
    last_failure_at: datetime | None = None
    wait_until: datetime | None = None


CLEAR = Attempts()


@dataclass(frozen=True, slots=True)
class Throttle:
    free: int
    window: timedelta
    first_wait: timedelta
    longest_wait: timedelta

    def wait(self, state: Attempts, *, now: datetime) -> timedelta:
        """How long before the next attempt may be made (zero: now)."""
        if state.wait_until is None or now >= state.wait_until:
            return NO_WAIT
        return state.wait_until - now

    def after_failure(self, state: Attempts, *, now: datetime) -> Attempts:
        """Count a failure made when no wait was due."""
        quiet = state.last_failure_at is None or now - state.last_failure_at > self.window
        failures = 1 if quiet else state.failures + 1
        wait_until = now + self.wait_after(failures) if failures >= self.free else None
        return Attempts(failures=failures, last_failure_at=now, wait_until=wait_until)

    def wait_after(self, failures: int) -> timedelta:
        """The wait the ``failures``-th failure imposes (``free``-th: ``first_wait``)."""
        doublings = max(0, min(failures - self.free, 40))  # 2**40 seconds outlasts any cap
        factor: int = 2**doublings
        return min(self.longest_wait, self.first_wait * factor)
