"""Fan-out of board changes to server-sent-event subscribers (thread-safe publish)."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any


class LiveHub:
    def __init__(self, *, queue_size: int = 1000) -> None:
        self._lock = threading.Lock()
        self._subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[str]]] = set()
        self._queue_size = queue_size

    def subscribe(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Queue[str]]:
        entry = (asyncio.get_running_loop(), asyncio.Queue[str](maxsize=self._queue_size))
        with self._lock:
            self._subscribers.add(entry)
        return entry

    def unsubscribe(self, entry: tuple[asyncio.AbstractEventLoop, asyncio.Queue[str]]) -> None:
        with self._lock:
            self._subscribers.discard(entry)

    def publish(self, kind: str, payload: dict[str, Any]) -> None:
        message = f"event: {kind}\ndata: {json.dumps(payload, default=str)}\n\n"
        with self._lock:
            subscribers = list(self._subscribers)
        for loop, q in subscribers:
            loop.call_soon_threadsafe(_offer, q, message)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)


def _offer(q: asyncio.Queue[str], message: str) -> None:
    if q.full():  # a slow browser skips to the latest rather than holding memory
        q.get_nowait()
    q.put_nowait(message)
