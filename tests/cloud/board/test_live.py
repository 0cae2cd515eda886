"""The live hub hands each subscriber only the messages of the sites it may see."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from cloud.board.live import LiveHub

T = TypeVar("T")


def _run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """A fresh event loop on its own thread, whatever loop the test runner keeps."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result(timeout=10)


def _drain(queue: asyncio.Queue[str]) -> list[dict[str, object]]:
    out = []
    while not queue.empty():
        data = queue.get_nowait().split("data: ", 1)[1]
        out.append(json.loads(data))
    return out


def test_a_subscriber_receives_only_messages_of_its_sites() -> None:
    async def run() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        hub = LiveHub()
        desk = hub.subscribe(sites={"hotel"})
        admin = hub.subscribe(sites={"hotel", "annex"})
        hub.publish("room", {"site": "annex", "room": "201"})
        hub.publish("room", {"site": "hotel", "room": "101"})
        hub.publish("room", {"room": "x"})  # no site: nobody may see it
        hub.publish("room", {"site": ["hotel"], "room": "y"})  # not a site name
        await asyncio.sleep(0)
        hub.unsubscribe(desk)
        hub.publish("room", {"site": "hotel", "room": "102"})
        await asyncio.sleep(0)
        return _drain(desk.queue), _drain(admin.queue)

    desk, admin = _run(run)
    assert [m["room"] for m in desk] == ["101"]
    assert [m["room"] for m in admin] == ["201", "101", "102"]


def test_a_subscriber_of_no_site_receives_nothing() -> None:
    async def run() -> bool:
        hub = LiveHub()
        nobody = hub.subscribe(sites=())
        hub.publish("gateway", {"site": "hotel", "floor": "f1"})
        await asyncio.sleep(0)
        return nobody.queue.empty()

    assert _run(run)
