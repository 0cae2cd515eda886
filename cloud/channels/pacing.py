"""How fast a channel may be called: a sliding minute of calls, a pause a 429 asked for, and the
backoff after a failure (pure; the sender holds one per channel)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

BACKOFF_CAP_S = 900.0


@dataclass
class Pace:
    per_minute: int
    calls: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0

    def wait(self, now: float) -> float:
        """Seconds until a call is allowed (0: now)."""
        while self.calls and now - self.calls[0] >= 60.0:
            self.calls.popleft()
        waits = [self.blocked_until - now]
        if len(self.calls) >= self.per_minute:
            waits.append(self.calls[0] + 60.0 - now)
        return max(0.0, *waits)

    def called(self, now: float) -> None:
        self.calls.append(now)

    def told_to_wait(self, now: float, seconds: float) -> None:
        """The channel answered 429 (Retry-After: ``seconds``)."""
        self.blocked_until = max(self.blocked_until, now + max(seconds, 1.0))


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds before the next try of a message that failed ``attempts`` times."""
    if retry_after is not None:
        return min(max(retry_after, 1.0), BACKOFF_CAP_S)
    return min(2.0 ** max(attempts - 1, 0) * 5.0, BACKOFF_CAP_S)
