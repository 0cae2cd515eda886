"""Load shedding: past a number of requests in flight, answer ``503`` with ``Retry-After`` soon
instead of letting requests queue for seconds.

A request holds a slot until its answer starts (a server-sent-event stream frees its slot as it
opens). When every slot is taken a request waits for one at most ``queue_wait_s``, then gets
``503 Service Unavailable`` (problem details) and ``Retry-After``: under twice the load the
server can carry, clients are told to come back instead of timing out, and the requests it
does take keep their latency.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloud.core.problems import problem

log = logging.getLogger(__name__)


class LoadShedding:
    def __init__(self, app: ASGIApp, *, max_in_flight: int, queue_wait_s: float,
                 retry_after_s: int = 1) -> None:
        self.app = app
        self.queue_wait_s = queue_wait_s
        self.retry_after_s = retry_after_s
        self._slots = asyncio.Semaphore(max_in_flight)
        self.shed = 0  # requests answered 503 since start

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not await self._admit():
            await self._refuse(scope, receive, send)
            return
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                self._slots.release()

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
        try:
            await asyncio.wait_for(self._slots.acquire(), self.queue_wait_s)
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
