"""REST API of stays: check-in (cards to the floor's gateway), check-out, late checkout."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy.orm import Session

from cloud.reservations import stays
from cloud.reservations.present import reservation_out
from cloud.reservations.routes import PROBLEMS
from cloud.reservations.schemas import LateCheckoutIn, ReservationOut
from cloud.reservations.web import (
    ClockDep,
    HistoryDep,
    IssuerDep,
    SessionsDep,
    StaffDep,
    own,
    property_for,
    transact,
)

router = APIRouter(prefix="/api/v1", tags=["stays"])


class CheckedOut(BaseModel):
    reservations: list[str]


@router.post("/reservations/{reservation_id}/check-in", response_model=ReservationOut, responses=PROBLEMS)
def check_in(
    reservation_id: str, user: StaffDep, sessions: SessionsDep, clock: ClockDep, issuer: IssuerDep
) -> ReservationOut:
    """Check in (early only when the room is ready); the floor's gateway receives the card."""

    def work(session: Session) -> ReservationOut:
        res = own(session, user, reservation_id, lock=True)
        return reservation_out(session, stays.check_in(session, res, issuer=issuer, now=clock()))

    return transact(sessions, work)


@router.post("/reservations/{reservation_id}/check-out", response_model=ReservationOut, responses=PROBLEMS)
def check_out(
    reservation_id: str, user: StaffDep, sessions: SessionsDep, clock: ClockDep, history: HistoryDep
) -> ReservationOut:
    """Check out now: cards revoked, unused nights back on sale, the room to housekeeping."""

    def work(session: Session) -> ReservationOut:
        res = own(session, user, reservation_id, lock=True)
        return reservation_out(session, stays.check_out(session, res, now=clock(), history=history))

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
) -> ReservationOut:
    """Sell a later checkout hour on the departure day; the card is re-issued to match."""

    def work(session: Session) -> ReservationOut:
        res = own(session, user, reservation_id, lock=True)
        stays.late_checkout(session, res, until=body.until, issuer=issuer, now=clock())
        return reservation_out(session, res)

    return transact(sessions, work)


@router.post("/properties/{site}/checkout-due", response_model=CheckedOut, responses=PROBLEMS)
def checkout_due(
    site: str, user: StaffDep, sessions: SessionsDep, clock: ClockDep, history: HistoryDep
) -> CheckedOut:
    """Check out every stay of the property whose checkout hour has passed (a scheduler calls this)."""

    def work(session: Session) -> CheckedOut:
        prop = property_for(session, user, site)
        return CheckedOut(
            reservations=stays.checkout_due(session, now=clock(), property_id=prop.id, history=history)
        )

    return transact(sessions, work)
