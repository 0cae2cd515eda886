"""Load shedding: past the in-flight limit a request waits briefly, then gets 503 + Retry-After."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from starlette.types import Receive, Scope, Send

from cloud.core.shedding import LoadShedding


class Gate:
    """An ASGI app whose answers wait until the test opens the gate; ``/stream`` answers at once
    with its headers and then waits, as a server-sent-event stream does."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.stream_end = asyncio.Event()
        self.started = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.started += 1
        if scope["path"] == "/stream":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await self.stream_end.wait()
            await send({"type": "http.response.body", "body": b"bye"})
            return
        await self.open.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _client(app: LoadShedding) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")



def _run(main: Coroutine[Any, Any, None]) -> None:
    """Run on a thread of its own: an earlier test in this worker may have left an event loop
    running in the main thread (Playwright's sync API does), where asyncio.run refuses to start."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, main).result()

def test_a_request_past_the_limit_is_refused_with_retry_after_within_its_time() -> None:
    async def run() -> None:
        gate = Gate()
        shed = LoadShedding(gate, max_in_flight=2, answer_within_s=0.2, retry_after_s=3)
        async with _client(shed) as client:
            held = [asyncio.create_task(client.get("/work")) for _ in range(2)]
            while gate.started < 2:
                await asyncio.sleep(0.01)
            began = time.perf_counter()
            refused = await client.get("/work")
            waited = time.perf_counter() - began
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "3"
            assert refused.json()["type"] == "/problems/overloaded"
            assert 0.15 < waited < 1.5
            assert gate.started == 2  # the app never saw it
            gate.open.set()
            assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200]
            assert shed.shed == 1

    _run(run())


def test_a_waiting_request_takes_the_slot_freed_within_its_time() -> None:
    async def run() -> None:
        gate = Gate()
        shed = LoadShedding(gate, max_in_flight=1, answer_within_s=2)
        async with _client(shed) as client:
            first = asyncio.create_task(client.get("/work"))
            while gate.started < 1:
                await asyncio.sleep(0.01)
            second = asyncio.create_task(client.get("/work"))
            await asyncio.sleep(0.1)
            gate.open.set()
            assert (await first).status_code == 200
            assert (await second).status_code == 200
            assert shed.shed == 0

    _run(run())


def test_a_stream_frees_its_slot_once_its_answer_has_started() -> None:
    async def run() -> None:
        gate = Gate()
        shed = LoadShedding(gate, max_in_flight=1, answer_within_s=0.1)
        sent: list[dict[str, object]] = []

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": "/stream", "headers": []}
        stream = asyncio.create_task(shed(scope, receive, send))  # type: ignore[arg-type]
        while not sent:
            await asyncio.sleep(0.01)
        gate.open.set()
        async with _client(shed) as client:
            assert (await client.get("/work")).status_code == 200  # the open stream holds no slot
        gate.stream_end.set()
        await stream
        assert shed.shed == 0

    _run(run())


def test_no_request_waits_when_admitted_ones_already_take_all_the_time() -> None:
    async def run() -> None:
        gate = Gate()
        shed = LoadShedding(gate, max_in_flight=1, answer_within_s=5)
        shed.service_s = 5.0  # lately every admitted request took the whole time
        async with _client(shed) as client:
            held = asyncio.create_task(client.get("/work"))
            while gate.started < 1:
                await asyncio.sleep(0.01)
            began = time.perf_counter()
            assert (await client.get("/work")).status_code == 503
            assert time.perf_counter() - began < 1
            gate.open.set()
            assert (await held).status_code == 200

    _run(run())


def test_no_request_waits_when_the_slower_admitted_ones_take_all_the_time() -> None:
    """The average admitted request is quick, but the slower ones leave no time to wait."""
    async def run() -> None:
        gate = Gate()
        shed = LoadShedding(gate, max_in_flight=1, answer_within_s=5)
        shed.service_s, shed.service_dev_s = 1.0, 2.0
        async with _client(shed) as client:
            held = asyncio.create_task(client.get("/work"))
            while gate.started < 1:
                await asyncio.sleep(0.01)
            began = time.perf_counter()
            assert (await client.get("/work")).status_code == 503
            assert time.perf_counter() - began < 1
            gate.open.set()
            assert (await held).status_code == 200

    _run(run())
