"""REST API of stays: check-in (cards to the floor's gateway), check-out, late checkout."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from cloud.core.deps import ClockDep, SessionsDep
from cloud.core.idempotency import transact
from cloud.reservations.api import PROBLEMS
from cloud.reservations.present import reservation_out
from cloud.reservations.schemas import LateCheckoutIn, ReservationOut
from cloud.reservations.stays import service as stays
from cloud.reservations.stays.ledger import LedgerDep, Settle
from cloud.reservations.web import HistoryDep, IssuerDep, StaffDep, own, property_for

router = APIRouter(prefix="/api/v1", tags=["stays"])


class CheckedOut(BaseModel):
    reservations: list[str]


class CheckOutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    settle: Settle = Settle.REFUSE  # bill_later: company account / city ledger
    invoice: bool = False  # issue the guest's invoice in the same action


class CheckOutOut(ReservationOut):
    invoice_id: str | None = None


@router.post("/reservations/{reservation_id}/check-in", response_model=ReservationOut, responses=PROBLEMS)
def check_in(
    reservation_id: str,
    user: StaffDep,
    sessions: SessionsDep,
    clock: ClockDep,
    issuer: IssuerDep,
    ledger: LedgerDep,
) -> ReservationOut:
    """Check in (early only when the room is ready); the floor's gateway receives the card and
    the room nights are posted to the folio."""

    def work(session: Session) -> ReservationOut:
        res = own(session, user, reservation_id, lock=True)
        now = clock()
        stays.check_in(session, res, issuer=issuer, now=now, actor=user)
        if ledger is not None:
            ledger.checked_in(session, res, now=now)
        return reservation_out(session, res)

    return transact(sessions, work)


@router.post("/reservations/{reservation_id}/check-out", response_model=CheckOutOut, responses=PROBLEMS)
def check_out(
    reservation_id: str,
    user: StaffDep,
    sessions: SessionsDep,
    clock: ClockDep,
    history: HistoryDep,
    ledger: LedgerDep,
    body: CheckOutIn | None = None,
) -> CheckOutOut:
    """Check out now: cards revoked, unused nights back on sale, the room to housekeeping.
    Refused (409) while the guest owes money, unless ``settle`` is ``bill_later``; with
    ``invoice`` the guest's invoice is issued in the same transaction."""
    choice = body or CheckOutIn()

    def work(session: Session) -> CheckOutOut:
        res = own(session, user, reservation_id, lock=True)
        now, invoice_id = clock(), None
        if ledger is not None:
            ledger.before_check_out(session, res, settle=choice.settle)
        stays.check_out(session, res, now=now, history=history, actor=user)
        if ledger is not None:
            invoice_id = ledger.checked_out(session, res, now=now, invoice=choice.invoice)
        out = reservation_out(session, res)
        return CheckOutOut(**out.model_dump(), invoice_id=invoice_id)

    return transact(sessions, work)


@router.post(
    "/reservations/{reservation_id}/late-checkout", response_model=ReservationOut, responses=PROBLEMS
)
def late_checkout(
    reservation_id: str,
    body: LateCheckoutIn,
    user: StaffDep,
    sessions: SessionsDep,
    clock: ClockDep,
    issuer: IssuerDep,
    ledger: LedgerDep,
) -> ReservationOut:
    """Sell a later checkout hour on the departure day; the card is re-issued to match."""

    def work(session: Session) -> ReservationOut:
        res = own(session, user, reservation_id, lock=True)
        now = clock()
        stays.late_checkout(session, res, until=body.until, issuer=issuer, now=now, actor=user)
        if ledger is not None:
            ledger.late_checkout(session, res, now=now)
        return reservation_out(session, res)

    return transact(sessions, work)


@router.post("/properties/{site}/checkout-due", response_model=CheckedOut, responses=PROBLEMS)
def checkout_due(
    site: str, user: StaffDep, sessions: SessionsDep, clock: ClockDep, history: HistoryDep, ledger: LedgerDep
) -> CheckedOut:
    """Check out every stay of the property whose checkout hour has passed (a scheduler calls this)."""

    def work(session: Session) -> CheckedOut:
        prop = property_for(session, user, site)
        return CheckedOut(
            reservations=stays.checkout_due(
                session, now=clock(), property_id=prop.id, history=history, ledger=ledger
            )
        )

    return transact(sessions, work)
