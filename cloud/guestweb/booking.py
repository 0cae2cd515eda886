"""The public booking engine's work: offers per room type, a hold on the desk's booking path, release.

A guest books through ``cloud.reservations.sales.booking.book`` exactly as the desk does (same
prices, restrictions, inventory constraints and folio), and the booking is held until its
payment settles; a hold not paid by its expiry is cancelled without a fee and its nights go back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing import property_terms as terms
from cloud.billing.settings import BillingSettings
from cloud.catalog import service as catalog
from cloud.catalog.models import Property, RatePlan, RoomType
from cloud.core.nights import Stay
from cloud.guestweb import extras
from cloud.guestweb.models import GuestHold
from cloud.reservations.errors import InvalidRequest, WrongState
from cloud.reservations.models import Reservation
from cloud.reservations.sales import booking, cancellation, queries
from cloud.reservations.sales.booking import Booking
from cloud.reservations.sales.guest_match import GuestMatcher
from cloud.reservations.stays.ledger import StayLedger

PAY_CHOICES = ("deposit", "full")


@dataclass(frozen=True)
class PlanOffer:
    plan: RatePlan
    nights: tuple[tuple[object, int], ...]
    total_minor: int
    deposit_minor: int


@dataclass(frozen=True)
class TypeOffer:
    room_type: RoomType
    rooms_left: int
    plans: list[PlanOffer]


def offers(session: Session, prop: Property, *, stay: Stay, guests: int) -> list[TypeOffer]:
    """Room types with a room left every night, each with the plans a guest may book now."""
    by_type: dict[int, TypeOffer] = {}
    for offer in queries.availability(session, prop, stay=stay, guests=guests):
        if offer.unavailable:
            continue  # closed by a restriction: the desk may override, a guest may not
        type_offer = by_type.setdefault(offer.room_type.id, TypeOffer(offer.room_type, offer.rooms_left, []))
        q = offer.quote
        type_offer.plans.append(PlanOffer(offer.rate_plan, q.nights, q.total_minor, q.deposit_minor))
    return list(by_type.values())


def amount_due(res: Reservation, pay: str) -> int:
    """What the guest pays online now: the plan's deposit, or the whole stay."""
    return res.total_minor if pay == "full" or res.deposit_required_minor <= 0 else res.deposit_required_minor


def hold(session: Session, request: Booking, *, pay: str, ledger: StayLedger | None, now: datetime,
         minutes: int, matcher: GuestMatcher | None = None) -> tuple[Reservation, GuestHold]:
    """Book on the desk's path and hold the booking for ``minutes`` until its payment settles."""
    if pay not in PAY_CHOICES:
        raise ValueError(f"pay is one of {PAY_CHOICES}")
    res = booking.book(session, request, now=now, matcher=matcher)
    if ledger is not None:
        ledger.booked(session, res, now=now)
    held = GuestHold(reservation_id=res.id, state="held", pay=pay, amount_minor=amount_due(res, pay),
                     expires_at=now + timedelta(minutes=minutes), created_at=now, booked_online=True)
    session.add(held)
    session.flush()
    return res, held


def release(session: Session, held: GuestHold, *, ledger: StayLedger | None, now: datetime,
            billing: BillingSettings | None = None) -> None:
    """Cancel an unpaid held booking without a fee: its nights and room go back on sale, its
    extras off the folio."""
    res = booking.load(session, held.reservation_id, lock=True)
    if res.status == "booked":
        cancellation.cancel(session, res, now=now)
        res.cancellation_fee_minor = 0  # the guest never had the booking: no cancellation fee
        if ledger is not None:
            ledger.cancelled(session, res, now=now)
        if billing is not None:
            reverse_extras(session, res, billing=billing, now=now)
    held.state = "released"


def release_due(session: Session, *, ledger: StayLedger | None, now: datetime, limit: int = 100,
                billing: BillingSettings | None = None) -> int:
    """Release the holds past their expiry; the number released."""
    due = list(session.scalars(select(GuestHold).where(
        GuestHold.state == "held", GuestHold.releases.is_(True), GuestHold.expires_at <= now).limit(limit)))
    for held in due:
        release(session, held, ledger=ledger, now=now, billing=billing)
    return len(due)


def property_of(session: Session, site: str) -> Property:
    return catalog.get_property(session, site)


def payment_link(session: Session, res: Reservation, *, amount_minor: int, now: datetime,
                 hours: int) -> GuestHold:
    """The desk asks the guest to pay online: a hold that never cancels the booking, for
    ``amount_minor`` (what is owed), payable for ``hours``; an unpaid earlier link is replaced."""
    if res.status not in ("booked", "checked_in"):
        raise WrongState(f"a {res.status} booking takes no payment link")
    if amount_minor <= 0:
        raise InvalidRequest("nothing is owed")
    held = session.get(GuestHold, res.id, with_for_update=True)
    if held is not None and held.state == "held" and held.checkout_session is not None:
        raise WrongState("a payment link was already opened by the guest; wait for it to finish")
    if held is None:
        held = GuestHold(reservation_id=res.id, pay="full", created_at=now)
        session.add(held)
    held.state, held.releases, held.amount_minor = "held", False, amount_minor
    held.checkout_session, held.expires_at = None, now + timedelta(hours=hours)
    session.flush()
    return held


def reverse_extras(session: Session, res: Reservation, *, billing: BillingSettings, now: datetime) -> None:
    prop = session.get(Property, res.property_id)
    assert prop is not None
    extras.reverse(session, res, policy=terms.tax_policy(session, billing, prop.slug), now=now)
