"""What wakes the ARI sender: on PostgreSQL a notification sent at the commit of every change mark
(``LISTEN posada_channels``, trigger of migration channels_0002), elsewhere its own interval.

A notification is only a nudge: the marks and the outbox are tables, so one lost while the
listening connection reconnects costs at most one idle interval, never a change.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
CHANNEL = "posada_channels"
RECONNECT_S = 2.0


class Wakeup:
    """A nudge the sender sleeps on (set by a notification, the API's resync, or a stop)."""

    notified = False  # whether a database notification wakes it (else it polls at its interval)

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        """Whether a nudge is waiting (something changed while the sender was busy)."""
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        """Sleep until nudged or ``timeout``; answers whether it was nudged (and clears it)."""
        nudged = self._event.wait(timeout)
        self._event.clear()
        return nudged

    def start(self) -> None:
        return None

    def stop(self) -> None:
        self._event.set()


class PgWakeup(Wakeup):
    """Listens on its own connection, on a thread of its own (the sender keeps its pool)."""

    notified = True

    def __init__(self, conninfo: str) -> None:
        super().__init__()
        self.conninfo = conninfo
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._listen, daemon=True, name="channels-listen")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        super().stop()
        if self._thread is not None:
            self._thread.join(timeout=3)

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    self.set()  # anything marked before we listened is picked up now
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self.set()
            except psycopg.Error as exc:
                self.listening.clear()
                log.warning("channel sender: listening for changes failed (%s); polling meanwhile", exc)
                self._stop.wait(RECONNECT_S)


def wakeup_for(engine: Engine) -> Wakeup:
    if engine.dialect.name != "postgresql":
        return Wakeup()
    url: Any = engine.url.set(drivername="postgresql")
    return PgWakeup(url.render_as_string(hide_password=False))


def poke(session: Session) -> None:
    """Wake the sender at this transaction's commit (queued messages written without a mark)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT pg_notify('{CHANNEL}', '')"))
