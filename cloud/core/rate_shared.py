"""API rate limits shared by every HTTP worker: each process decides in memory, on its share of
the token's bucket as the shared store last reported it, and every few hundred milliseconds
reports what it let through and reads the bucket back (``sync``).

So a request costs no I/O, and ``posada cloud --workers N`` grants a token its rate once, not N
times: between two reports each of the N processes may spend ``1/N`` of the tokens the bucket
held at its last report, plus ``1/N`` of the refill since. Processes report at different moments,
so the bucket may briefly go into debt (at most ``burst`` deep); the debt is paid before the
token may go on, so over any minute the combined rate holds. A process that has not heard from
the store about a token yet grants its share of a full bucket.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol


class BucketStore(Protocol):
    def settle(self, spent: dict[str, int], *, now: float, rate: float, burst: float) -> dict[str, float]:
        """Take ``spent[key]`` tokens from each key's shared bucket (refilled at ``rate`` a second up
        to ``burst``, made full when new) at wall time ``now``; the tokens each holds after it."""
        ...

    def forget(self, *, before: float) -> int:
        """Drop the buckets last settled before ``before`` (full again by then: as good as none)."""
        ...


@dataclass(slots=True)
class _View:
    tokens: float  # in the shared bucket at the last report
    at: float  # when that was (wall seconds)
    used: float  # this process's last request with the token (wall seconds)
    spent: int = 0  # requests this process let through since


class SharedTokenBuckets:
    """``take(key, now)`` returns 0 when the request may go, else the seconds until it may."""

    def __init__(self, store: BucketStore, *, per_minute: int, burst: int, processes: int,
                 max_tokens: int = 10_000) -> None:
        self.store = store
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.processes = max(1, processes)
        self.max_tokens = max_tokens
        self._views: OrderedDict[str, _View] = OrderedDict()
        self._lock = threading.Lock()
        self._forgot_at: float | None = None

    def take(self, key: str, now: float) -> float:
        with self._lock:
            view = self._views.pop(key, None) or _View(self.burst, now, now)
            view.used = now
            self._views[key] = view
            if len(self._views) > self.max_tokens:
                self._views.popitem(last=False)
            refilled = min(self.burst, view.tokens + max(0.0, now - view.at) * self.rate)
            share = refilled / self.processes - view.spent
            if share >= 1.0:
                view.spent += 1
                return 0.0
        return (1.0 - share) * self.processes / self.rate if self.rate > 0 else math.inf

    def sync(self, now: float) -> int:
        """Report what was let through since the last report and read the buckets back; returns
        how many keys were reported. Keys idle for a minute are read no more (a new request
        starts them again, from the process's share of a full bucket). Once a minute, rows whose
        bucket has refilled since are dropped, so made-up tokens cannot grow the table."""
        with self._lock:
            spent = {key: view.spent for key, view in self._views.items()
                     if view.spent or now - view.used < 60.0}
            for key in spent:
                self._views[key].spent -= spent[key]  # requests let through during the round stay counted
        if self._forgot_at is None or now - self._forgot_at >= 60.0:
            refill = 2 * self.burst / self.rate if self.rate > 0 else 86400.0  # from the deepest debt
            self.store.forget(before=now - refill - 60.0)
            self._forgot_at = now
        if not spent:
            return 0
        try:
            tokens = self.store.settle(spent, now=now, rate=self.rate, burst=self.burst)
        except BaseException:
            with self._lock:  # not reported: count them again next round
                for key, count in spent.items():
                    if key in self._views:
                        self._views[key].spent += count
            raise
        with self._lock:
            for key, left in tokens.items():
                view = self._views.get(key)
                if view is not None:
                    view.tokens, view.at = left, now
        return sum(1 for count in spent.values() if count)
