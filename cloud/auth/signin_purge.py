"""Forgetting client addresses of failed sign-ins once they count for nothing.

``signin_addresses`` holds one row per address (an IPv6 /64) that failed to sign in. A row whose
last failure is older than the throttle's window, and whose wait is over, would be read as no
failures at all (``cloud/auth/throttle.py``): it is only a record of who tried, so it goes. A
round runs every ten minutes on the worker that runs the background loops.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.models import SigninAddress
from cloud.core.clock import Clock
from cloud.core.periodic import Periodic


def purge_addresses(session: Session, *, now: datetime, window: timedelta) -> int:
    """Delete the addresses whose failures are forgotten and whose wait is over; how many."""
    result = session.execute(
        delete(SigninAddress).where(
            or_(SigninAddress.last_failure_at.is_(None), SigninAddress.last_failure_at < now - window),
            or_(SigninAddress.wait_until.is_(None), SigninAddress.wait_until < now),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


class SigninAddressPurge:
    """The purge on a schedule (``interval_s``), with the throttle's window."""

    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock, window: timedelta,
                 interval_s: float = 600.0) -> None:
        self.sessions, self.clock, self.window = sessions, clock, window
        self._periodic = Periodic(self.run_once, interval_s=interval_s, name="signin-addresses",
                                  done="forgot %d client addresses of old failed sign-ins")

    def run_once(self) -> int:
        with self.sessions.begin() as session:
            return purge_addresses(session, now=self.clock(), window=self.window)

    def start(self) -> None:
        self._periodic.start()

    def stop(self) -> None:
        self._periodic.stop()
