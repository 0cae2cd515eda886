"""Client addresses of failed sign-ins are forgotten once their failures count for nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from cloud.auth.models import SigninAddress
from cloud.auth.signin_purge import purge_addresses
from cloud.core.db import make_engine, make_sessionmaker

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def test_only_addresses_whose_failures_are_forgotten_and_whose_wait_is_over_go(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    sessions = make_sessionmaker(engine)
    rows = {
        "old": (NOW - timedelta(hours=2), None),  # quiet for longer than the window: goes
        "recent": (NOW - timedelta(minutes=5), None),  # still counts
        "waiting": (NOW - timedelta(hours=1), NOW + timedelta(minutes=3)),  # its wait is not over
        "never": (None, None),  # no failure on record
    }
    with sessions.begin() as session:
        for address, (last, until) in rows.items():
            session.add(SigninAddress(address=address, failures=25, last_failure_at=last, wait_until=until))
    with sessions.begin() as session:
        assert purge_addresses(session, now=NOW, window=WINDOW) == 2
    with sessions() as session:
        assert set(session.scalars(select(SigninAddress.address))) == {"recent", "waiting"}
    engine.dispose()
