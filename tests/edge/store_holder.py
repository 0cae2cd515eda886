"""Another thread holding the gateway store's lock (as a relay or a confirmation does during a
drain), and a call that must finish while it does."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from edge.store import Store

T = TypeVar("T")


class HolderFailed(Exception):
    """Raised inside the holder's transaction to roll it back."""


@contextmanager
def held(store: Store, *, roll_back: bool = False) -> Iterator[None]:
    """A thread holds the store's lock in a transaction with a write of its own for the whole
    block; it commits when the block ends (or rolls back with ``roll_back``)."""
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with store.transaction():
                store.set_meta("holder", "was here")
                inside.set()
                release.wait(30)
                if roll_back:
                    raise HolderFailed
        except HolderFailed:
            pass

    holder = threading.Thread(target=hold, name="store-holder", daemon=True)
    holder.start()
    assert inside.wait(5), "the holder never got the store's lock"
    try:
        yield
    finally:
        release.set()
        holder.join(10)
        assert not holder.is_alive()


def within(seconds: float, call: Callable[[], T]) -> T:
    """``call()`` on a thread of its own; fails the test if it has not returned in ``seconds``."""
    result: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(call())
        except BaseException as exc:  # handed to the test's thread below
            errors.append(exc)

    worker = threading.Thread(target=run, name="decision", daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still waiting after {seconds} s"
    if errors:
        raise errors[0]
    return result[0]
