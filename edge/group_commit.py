"""Group commit: many writers' commits made durable by one sync.

A writer commits without a sync of its own, takes a ticket (commits are numbered in the order
they happened), and waits until a sync that began after its commit has finished. Whoever waits
first runs the sync for every commit made so far; writers that committed meanwhile find their
ticket covered and return at once, or run the next sync for the ones that came after.

Pure: the sync itself (an fsync of the write-ahead log) is injected.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class GroupCommit:
    """``committed()`` right after each commit (under the writers' own lock, so tickets follow
    commit order), then ``wait(ticket)`` outside that lock before telling anyone it is durable."""

    def __init__(self, sync: Callable[[], None]) -> None:
        self._sync = sync
        self._cond = threading.Condition()  # guards the counters; waiters sleep on it
        self._committed = 0
        self._synced = 0
        self._syncing = False
        self.syncs = 0

    @property
    def pending(self) -> int:
        """Commits not yet covered by a finished sync."""
        with self._cond:
            return self._committed - self._synced

    def committed(self) -> int:
        """Count one commit; returns its ticket."""
        with self._cond:
            self._committed += 1
            return self._committed

    def wait(self, ticket: int) -> None:
        """Return once the commit with ``ticket`` is durable (syncing for everyone if needed)."""
        with self._cond:
            while self._synced < ticket:
                if self._syncing:  # a sync is running; it may or may not cover us
                    self._cond.wait()
                    continue
                self._syncing = True
                upto = self._committed
                break
            else:
                return
        synced = False
        try:
            self._sync()  # raises: nothing is marked durable, the next waiter tries again
            synced = True
        finally:
            with self._cond:
                self._syncing = False
                if synced:
                    self._synced = max(self._synced, upto)
                    self.syncs += 1
                self._cond.notify_all()

    def sync_all(self) -> None:
        """Make every commit so far durable."""
        with self._cond:
            last = self._committed
        self.wait(last)
