"""The stay ledger with the extras booked online: a cancelled stay or a no-show is not charged for
the breakfasts, parking and other extras it will never use, whoever cancels (guest or desk)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cloud.billing.settings import BillingSettings
from cloud.guestweb.booking import reverse_extras
from cloud.reservations.models import Reservation
from cloud.reservations.stays.ledger import Settle, StayLedger


class ExtrasLedger:
    """Passes every call on; after a cancellation or a no-show, the booked extras come off the
    folio (once: a guest's own cancellation has taken them off already)."""

    def __init__(self, inner: StayLedger, *, billing: BillingSettings) -> None:
        self.inner, self.billing = inner, billing

    def booked(self, session: Session, res: Reservation, *, now: datetime) -> None:
        self.inner.booked(session, res, now=now)

    def modified(self, session: Session, res: Reservation, *, now: datetime) -> None:
        self.inner.modified(session, res, now=now)

    def cancelled(self, session: Session, res: Reservation, *, now: datetime) -> None:
        self.inner.cancelled(session, res, now=now)
        reverse_extras(session, res, billing=self.billing, now=now)

    def checked_in(self, session: Session, res: Reservation, *, now: datetime) -> None:
        self.inner.checked_in(session, res, now=now)

    def late_checkout(self, session: Session, res: Reservation, *, now: datetime) -> None:
        self.inner.late_checkout(session, res, now=now)

    def before_check_out(self, session: Session, res: Reservation, *, settle: Settle) -> None:
        self.inner.before_check_out(session, res, settle=settle)

    def checked_out(self, session: Session, res: Reservation, *, now: datetime, invoice: bool) -> str | None:
        return self.inner.checked_out(session, res, now=now, invoice=invoice)

    def invoices(self, session: Session, res: Reservation) -> list[tuple[str, str]]:
        return self.inner.invoices(session, res)
