"""A round of background work every few seconds, on a thread of its own, until stopped."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    """Runs ``work`` every ``interval_s`` (first after one interval). A failed round is logged and
    the next one tries again; a round that did something (a count above 0) says so in the log."""

    def __init__(
        self, work: Callable[[], int | None], *, interval_s: float, name: str, done: str = "%d done"
    ) -> None:
        self.work, self.interval_s, self.name, self.done = work, interval_s, name, done
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                count = self.work()
            except Exception:  # a failed round is logged; the next one tries again
                log.exception("%s: a round failed", self.name)
                continue
            if count:
                log.info("%s: " + self.done, self.name, count)
