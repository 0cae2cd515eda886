"""Lots past their last day expire on a schedule: each member in a transaction of their own, under
the member's lock, so a round can stop anywhere and the next one carries on. Running it twice
changes nothing more (an expired lot has nothing left); every expiry is a ledger entry."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.core.clock import Clock
from cloud.core.periodic import Periodic
from cloud.loyalty import chain_rules, ledger
from cloud.loyalty.models import Lot, Member

BATCH = 200  # members per round


def due(session: Session, *, today: date, limit: int = BATCH) -> list[str]:
    """Members holding a lot with points left after its last day."""
    return list(
        session.scalars(
            select(Lot.member_id)
            .where(Lot.state == "available", Lot.remaining > 0, Lot.expires_on < today)
            .group_by(Lot.member_id)
            .order_by(Lot.member_id)
            .limit(limit)
        )
    )


def run(sessions: sessionmaker[Session], *, clock: Clock) -> int:
    """One round: the points expired."""
    now = clock()
    with sessions() as session:
        members = due(session, today=now.date())
    total = 0
    for member_id in members:
        with sessions.begin() as session:
            chain = session.scalar(select(Member.chain).where(Member.id == member_id)) or ""
            total += ledger.expire(
                session, member_id, today=now.date(), rules=chain_rules.for_chain(session, chain), now=now
            )
    return total


class ExpiryWorker:
    """The app's background round (hourly by default)."""

    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock, interval_s: float = 3600.0) -> None:
        self.sessions, self.clock = sessions, clock
        self._periodic = Periodic(
            self.run_once, interval_s=interval_s, name="loyalty-expiry", done="expired %d points"
        )

    def run_once(self) -> int:
        return run(self.sessions, clock=self.clock)

    def start(self) -> None:
        self._periodic.start()

    def stop(self) -> None:
        self._periodic.stop()
