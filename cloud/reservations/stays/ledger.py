"""The port through which stays reach the guest's account (billing implements it).

Every call runs inside the reservation's own transaction, so a stay change and its money
either both happen or neither does.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from cloud.core.deps import services
from cloud.reservations.models import Reservation


class Settle(StrEnum):
    """How a check-out treats a balance the guest still owes."""

    REFUSE = "refuse"  # the guest pays first (the default)
    BILL_LATER = "bill_later"  # company account / city ledger: the balance stays open


class StayLedger(Protocol):
    def booked(self, session: Session, res: Reservation, *, now: datetime) -> None: ...

    def modified(self, session: Session, res: Reservation, *, now: datetime) -> None: ...

    def cancelled(self, session: Session, res: Reservation, *, now: datetime) -> None: ...

    def checked_in(self, session: Session, res: Reservation, *, now: datetime) -> None: ...

    def late_checkout(self, session: Session, res: Reservation, *, now: datetime) -> None: ...

    def before_check_out(self, session: Session, res: Reservation, *, settle: Settle) -> None: ...

    def checked_out(
        self, session: Session, res: Reservation, *, now: datetime, invoice: bool
    ) -> str | None: ...

    def invoices(self, session: Session, res: Reservation) -> list[tuple[str, str]]:
        """The stay's invoices and credit notes as (id, number), for links to their PDFs."""
        ...


def stay_ledger(request: Request) -> StayLedger:
    """The app's ledger (billing's, wired by the app factory)."""
    return services(request).ledger


async def _ledger(request: Request) -> StayLedger:
    return stay_ledger(request)  # no I/O: no hop to the thread pool


LedgerDep = Annotated[StayLedger, Depends(_ledger)]
