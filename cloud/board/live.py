"""Fan-out of board changes to server-sent-event subscribers (thread-safe publish).

Each subscriber names the sites it may see; a message goes only to subscribers of its
``site``, and a message without one goes to nobody (it cannot be attributed to a property).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class Subscription:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[str]
    sites: frozenset[str] = field(default_factory=frozenset)

    async def get(self) -> str:
        return await self.queue.get()


class LiveHub:
    def __init__(self, *, queue_size: int = 1000) -> None:
        self._lock = threading.Lock()
        self._subscribers: set[Subscription] = set()
        self._queue_size = queue_size

    def subscribe(self, *, sites: Collection[str]) -> Subscription:
        entry = Subscription(asyncio.get_running_loop(), asyncio.Queue[str](maxsize=self._queue_size),
                             frozenset(sites))
        with self._lock:
            self._subscribers.add(entry)
        return entry

    def unsubscribe(self, entry: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(entry)

    def publish(self, kind: str, payload: dict[str, Any]) -> None:
        site = payload.get("site")
        if not isinstance(site, str):
            return
        message = f"event: {kind}\ndata: {json.dumps(payload, default=str)}\n\n"
        with self._lock:
            subscribers = [s for s in self._subscribers if site in s.sites]
        for entry in subscribers:
            entry.loop.call_soon_threadsafe(_offer, entry.queue, message)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)


def _offer(q: asyncio.Queue[str], message: str) -> None:
    if q.full():  # a slow browser skips to the latest rather than holding memory
        q.get_nowait()
    q.put_nowait(message)
