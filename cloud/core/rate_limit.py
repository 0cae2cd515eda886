"""API rate limits per bearer token: a token bucket per token, ``429`` with ``Retry-After``.

Each token may make ``burst`` requests at once and ``per_minute`` a minute on average. With one
HTTP worker the buckets live in the process's memory; with several, each worker decides on its
share of a bucket kept in the database (``cloud.core.rate_shared``), so the workers together grant
the rate once. The least recently used are forgotten past ``max_tokens``, so a flood of made-up
tokens cannot grow memory. Portal sessions are not limited here: sign-in
has its own throttle (``cloud.auth.throttle``).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from cloud.core.problems import problem


@dataclass(slots=True)
class Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """``take(key, now)`` returns 0 when the request may go, else the seconds until it may."""

    def __init__(self, *, per_minute: int, burst: int, max_tokens: int = 10_000) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_tokens = max_tokens
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def take(self, key: str, now: float) -> float:
        bucket = self._buckets.pop(key, None) or Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + max(0.0, now - bucket.at) * self.rate)
        bucket.at = now
        self._buckets[key] = bucket
        if len(self._buckets) > self.max_tokens:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate if self.rate > 0 else math.inf


class Buckets(Protocol):
    def take(self, key: str, now: float) -> float: ...


class ApiRateLimit:
    """Middleware: requests under ``prefix`` that carry a bearer token are counted per token.
    ``buckets`` are the shared ones when given (their ``clock`` is the wall clock)."""

    def __init__(self, app: ASGIApp, *, per_minute: int, burst: int, prefix: str = "/api/",
                 clock: Callable[[], float] = time.monotonic, buckets: Buckets | None = None) -> None:
        self.app = app
        self.prefix = prefix
        self.clock = clock
        self.buckets: Buckets = buckets or TokenBuckets(per_minute=per_minute, burst=burst)
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _bearer(scope) if scope["type"] == "http" and scope["path"].startswith(self.prefix) else None
        wait = self.buckets.take(key, self.clock()) if key else 0.0
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        self.refused += 1
        response = problem(429, "Too Many Requests", "this token's request rate is over its limit",
                           "/problems/rate-limited", scope["path"])
        response.headers["Retry-After"] = str(max(1, math.ceil(min(wait, 86400))))
        await response(scope, receive, send)


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            if scheme.lower() == b"bearer" and token.strip():
                return hashlib.sha256(token.strip()).hexdigest()
    return None
