"""How often one client address may ask: a token bucket per (address, action), in memory.

Pure (the time is passed in); one per process, so with several workers each would grant its own
share: ``rate_store.DatabaseRateLimiter`` is the shared one, chosen when there are several. Old
buckets are dropped when the table grows past its bound, so a flood of addresses cannot grow it
without limit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

MAX_BUCKETS = 50_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class Limiter(Protocol):
    def allow(self, address: str, action: str, *, per_window: int, window_s: float, now: float) -> bool:
        """Take one request from ``address``'s allowance for ``action``; False when none is left."""
        ...


class RateLimiter:
    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def allow(self, address: str, action: str, *, per_window: int, window_s: float, now: float) -> bool:
        """Take one token; False when ``address`` used up ``per_window`` for ``action``."""
        rate = per_window / window_s
        with self._lock:
            bucket = self._buckets.get((address, action))
            if bucket is None:
                if len(self._buckets) >= MAX_BUCKETS:
                    self._forget_full(now, rate, per_window)
                bucket = self._buckets[(address, action)] = _Bucket(float(per_window), now)
            bucket.tokens = min(float(per_window), bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            if bucket.tokens < 1:
                return False
            bucket.tokens -= 1
            return True

    def _forget_full(self, now: float, rate: float, capacity: int) -> None:
        full = [key for key, b in self._buckets.items() if b.tokens + (now - b.at) * rate >= capacity]
        for key in full or list(self._buckets)[: MAX_BUCKETS // 2]:
            del self._buckets[key]
