"""The guest pages' per-client allowance shared by every HTTP worker: a count per client address,
action and fixed window, kept in the database (one upsert per counted request), so ``posada
cloud --workers N`` grants an address its allowance once, not N times."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from cloud.guestweb.models import RateCount


class DatabaseRateLimiter:
    def __init__(self, sessions: sessionmaker[Session], *, wall: Callable[[], float] = time.time) -> None:
        self.sessions, self.wall = sessions, wall

    def allow(self, address: str, action: str, *, per_window: int, window_s: float, now: float) -> bool:
        """Count one request; False once ``address`` made ``per_window`` for ``action`` in this window
        (``now`` is the caller's monotonic time, unused: windows are on the shared wall clock)."""
        window = int(self.wall() // window_s * window_s)
        key = f"{action}:{address}"[:120]
        with self.sessions.begin() as session:
            insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
            stmt = insert(RateCount).values(key=key, window=window, count=1)
            counted = stmt.on_conflict_do_update(
                index_elements=["key", "window"], set_={"count": RateCount.count + 1},
            ).returning(RateCount.count)
            count = int(session.execute(counted).scalar_one())
        return count <= per_window


def forget_old_counts(session: Session, *, now: datetime, keep: timedelta = timedelta(hours=2)) -> int:
    """Drop the windows long past (the longest window is an hour)."""
    result = session.execute(delete(RateCount).where(RateCount.window < int((now - keep).timestamp())))
    return int(getattr(result, "rowcount", 0) or 0)
