"""Load shedding: past a number of requests in flight, answer ``503`` with ``Retry-After`` soon
instead of letting requests queue for seconds.

A request holds a slot until its answer starts (a server-sent-event stream frees its slot as it
opens). When every slot is taken a request waits for one only as long as it could still be
answered within ``answer_within_s``: that time less how long requests have lately taken once
admitted (a moving average, plus twice their moving deviation from it, so that the slower
admitted requests, not the average one, still answer in time). Past that it gets ``503 Service
Unavailable`` (problem details) and ``Retry-After``: under twice the load the server can carry,
clients are told to come back instead of timing out, and the requests it does take keep their
latency.
"""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloud.core.problems import problem

log = logging.getLogger(__name__)
SMOOTHING = 0.05  # weight of the latest request in the moving average


class LoadShedding:
    def __init__(self, app: ASGIApp, *, max_in_flight: int, answer_within_s: float,
                 retry_after_s: int = 1) -> None:
        self.app = app
        self.answer_within_s = answer_within_s
        self.retry_after_s = retry_after_s
        self._slots = asyncio.Semaphore(max_in_flight)
        self.service_s = 0.0  # moving average: admission to the answer's start
        self.service_dev_s = 0.0  # moving mean deviation from that average
        self.shed = 0  # requests answered 503 since start

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not await self._admit():
            await self._refuse(scope, receive, send)
            return
        held, admitted = True, time.monotonic()

        def release() -> None:
            nonlocal held
            if held:
                held = False
                self._slots.release()
                took = time.monotonic() - admitted
                self.service_dev_s += SMOOTHING * (abs(took - self.service_s) - self.service_dev_s)
                self.service_s += SMOOTHING * (took - self.service_s)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            release()

    async def _admit(self) -> bool:
        if not self._slots.locked():
            await self._slots.acquire()  # a free slot: taken at once
            return True
        budget = self.answer_within_s - self.service_s - 2 * self.service_dev_s
        if budget <= 0:
            return False
        try:
            await asyncio.wait_for(self._slots.acquire(), budget)
        except TimeoutError:
            return False
        return True

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.shed += 1
        if self.shed == 1 or self.shed % 1000 == 0:
            log.warning("overloaded: %d requests refused with 503 so far", self.shed)
        response = problem(503, "Service overloaded", "too many requests in flight; retry shortly",
                           "/problems/overloaded", scope.get("path"))
        response.headers["Retry-After"] = str(self.retry_after_s)
        await response(scope, receive, send)
