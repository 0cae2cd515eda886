"""Folios and charges in the database; callers own the transaction (``with session.begin()``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.auth.audit import record_row
from cloud.billing.errors import BillingConflict, FolioNotFound, InvalidAmount, UnknownReservation
from cloud.billing.folio import ChargeKind, Movement, Payer, balance, price_charge, split_taxed
from cloud.billing.models import Charge, Folio, Payment
from cloud.billing.tax import TaxedAmount, TaxPolicy
from cloud.core import plain_inserts
from cloud.core.money import Money, MoneyError, exponent
from cloud.reservations.models import Reservation
from mqtt.envelope import new_id

LANGUAGES = ("en", "es", "zh")


@dataclass(frozen=True, slots=True)
class GuestInfo:
    """What billing needs of a guest until stays carry it: name, language, phone."""

    name: str
    language: str = "en"
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class FolioSpec:
    site: str
    currency: str
    guest: GuestInfo
    reservation_id: str | None = None
    master_folio_id: str | None = None
    routed_kinds: tuple[str, ...] = ()
    company_name: str | None = None
    company_tax_id: str | None = None
    arrival_at: datetime | None = None
    checkout_at: datetime | None = None
    master: bool = False
    # the reservation was created in this very transaction: it exists and has no folio yet
    # (the unique index on a reservation's stay folio still guards), so nothing is read to check
    new_reservation: bool = False


def open_folio(session: Session, spec: FolioSpec, *, now: datetime) -> Folio:
    """A stay's folio (or a group's master folio when ``spec.master``)."""
    try:
        exponent(spec.currency)
    except MoneyError as exc:
        raise InvalidAmount(str(exc)) from None
    if spec.guest.language not in LANGUAGES:
        raise InvalidAmount(f"language must be one of {', '.join(LANGUAGES)}")
    if spec.reservation_id is not None and not (spec.new_reservation and not spec.master):
        _check_reservation(session, spec)
    if spec.master_folio_id is not None:
        master = get_folio(session, spec.master_folio_id)
        if master.kind != "master" or master.currency != spec.currency:
            raise BillingConflict("the master folio must be a master folio in the same currency")
    folio = Folio(
        id=new_id(), site=spec.site, reservation_id=spec.reservation_id,
        kind="master" if spec.master else "stay",
        master_folio_id=spec.master_folio_id, routed_kinds=sorted(set(spec.routed_kinds)),
        currency=spec.currency, guest_name=spec.guest.name,
        guest_language=spec.guest.language, guest_phone=spec.guest.phone,
        company_name=spec.company_name, company_tax_id=spec.company_tax_id,
        arrival_at=spec.arrival_at, checkout_at=spec.checkout_at, status="open", created_at=now,
    )
    if plain_inserts.add(session, folio):  # a booking's fast path: the trail's listener never sees it
        record_row(session, folio, "create", site=folio.site)
        return folio
    session.add(folio)
    session.flush()
    return folio


def _check_reservation(session: Session, spec: FolioSpec) -> None:
    """The stay exists, and has no other stay folio (a group's master folio names none)."""
    if session.get(Reservation, spec.reservation_id) is None:
        raise UnknownReservation(f"no reservation {spec.reservation_id}")
    if spec.master:
        raise BillingConflict("a master folio belongs to a group, not to one reservation")
    taken = select(Folio.id).where(Folio.reservation_id == spec.reservation_id,
                                   Folio.kind == "stay")
    if session.scalar(taken) is not None:
        raise BillingConflict(f"reservation {spec.reservation_id} already has a folio")


def get_folio(session: Session, folio_id: str) -> Folio:
    folio = session.get(Folio, folio_id)
    if folio is None:
        raise FolioNotFound(f"no folio {folio_id}")
    return folio


@dataclass(frozen=True, slots=True)
class ChargeRequest:
    kind: ChargeKind
    description: str
    unit_price: Money
    quantity: int = 1
    discount: bool = False
    payer: Payer = Payer.GUEST
    company_ppm: int | None = None  # split: the company's share in parts per million
    night: date | None = None


def post_charge(
    session: Session, *, folio_id: str, request: ChargeRequest, policy: TaxPolicy, now: datetime
) -> list[Charge]:
    """Post a line (routed to the master folio if its kind is routed); split if asked."""
    origin = get_folio(session, folio_id)
    target = origin
    if origin.master_folio_id is not None and request.kind.value in origin.routed_kinds:
        target = get_folio(session, origin.master_folio_id)
    if target.status != "open":
        raise BillingConflict(f"folio {target.id} is closed")
    if request.unit_price.currency != target.currency:
        raise InvalidAmount(f"this folio is in {target.currency}")
    if target.company_name is None and (request.payer is Payer.COMPANY or request.company_ppm):
        raise BillingConflict("this folio has no company to bill")
    try:
        taxed = price_charge(kind=request.kind, unit_price=request.unit_price,
                             quantity=request.quantity, discount=request.discount, policy=policy)
        parts = _parts(taxed, request)
    except MoneyError as exc:
        raise InvalidAmount(str(exc)) from None
    rows = [_charge_row(target, origin, request, payer, part, now) for payer, part in parts]
    session.add_all(rows)
    session.flush()
    return rows


def _parts(taxed: TaxedAmount, request: ChargeRequest) -> list[tuple[Payer, TaxedAmount]]:
    if request.company_ppm is None:
        return [(request.payer, taxed)]
    guest, company = split_taxed(taxed, company_ppm=request.company_ppm)
    return [(Payer.GUEST, guest), (Payer.COMPANY, company)]


def _charge_row(target: Folio, origin: Folio, request: ChargeRequest, payer: Payer,
                taxed: TaxedAmount, now: datetime) -> Charge:
    return Charge(
        id=new_id(), folio_id=target.id, origin_folio_id=origin.id, payer=payer.value,
        kind=request.kind.value, description=request.description, discount=request.discount,
        quantity=request.quantity, unit_minor=request.unit_price.minor,
        currency=target.currency, net_minor=taxed.net.minor, tax_minor=taxed.tax.minor,
        gross_minor=taxed.gross.minor, taxes={code: m.minor for code, m in taxed.taxes},
        night=request.night, posted_at=now,
    )


def movements(session: Session, folio: Folio) -> list[Movement]:
    """Charges and settled payments/refunds of a folio, as the balance sees them."""
    moves = [
        Movement(Payer(c.payer), Money(c.gross_minor, c.currency), "charge")
        for c in session.scalars(select(Charge).where(Charge.folio_id == folio.id))
    ]
    settled = select(Payment).where(Payment.folio_id == folio.id, Payment.status == "succeeded")
    moves += [
        Movement(Payer(p.payer), Money(p.amount_minor, p.currency), p.direction)
        for p in session.scalars(settled)
    ]
    return moves


def balances(session: Session, folio: Folio) -> dict[Payer, Money]:
    moves = movements(session, folio)
    return {payer: balance(moves, currency=folio.currency, payer=payer) for payer in Payer}


def close_folio(session: Session, *, folio_id: str, now: datetime) -> Folio:
    """Closing needs every balance at zero; the departure time feeds the reminders."""
    folio = get_folio(session, folio_id)
    if any(amount.minor != 0 for amount in balances(session, folio).values()):
        raise BillingConflict("the folio still has a balance")
    folio.status = "closed"
    folio.departed_at = folio.departed_at or now
    return folio


def mark_departed(session: Session, *, folio_id: str, at: datetime) -> Folio:
    """The guest left (check-out); any balance left is chased by the reminders."""
    folio = get_folio(session, folio_id)
    if folio.departed_at is None:
        folio.departed_at = at
    return folio
