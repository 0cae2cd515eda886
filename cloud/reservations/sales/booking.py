"""Booking and modifying; every change keeps inventory and rooms in step (cancelling: ``cancellation``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, make_transient_to_detached

from cloud.auth.audit import record_row
from cloud.catalog import service as catalog
from cloud.catalog.models import Property, RatePlan, RoomType
from cloud.catalog.pricing import Quote, quote
from cloud.core import plain_inserts
from cloud.core.nights import Stay, local_instant, local_today
from cloud.reservations import present
from cloud.reservations.errors import InvalidRequest, UnknownResource, WrongState
from cloud.reservations.groups import service as groups
from cloud.reservations.models import HOLDING, Reservation, ReservationNight
from cloud.reservations.sales import allocation, inventory, sellable
from cloud.reservations.sales.guest_match import GuestMatcher
from cloud.reservations.sales.sale import Sale
from cloud.reservations.sales.sellable import PlanInfo, Sellable, TypeInfo
from cloud.reservations.stays import rooms
from cloud.reservations.stays.guest_history import check_guest
from mqtt.envelope import new_id

LANGUAGES = ("en", "es", "zh")  # what invoices and guest messages are written in


@dataclass(frozen=True)
class Booking:
    property: str
    room_type: str
    rate_plan: str
    arrival: date
    departure: date
    guest_name: str
    adults: int = 1
    children: int = 0
    guest_id: str | None = None
    guest_email: str | None = None
    guest_phone: str | None = None
    guest_language: str | None = None  # None: the guest profile's, else the property's
    preferences: dict[str, Any] = field(default_factory=dict)
    block_id: str | None = None
    notes: str = ""
    assign: bool = True
    reservation_id: str | None = None  # a property node's walk-in keeps the id the node gave it


def make_stay(arrival: date, departure: date) -> Stay:
    try:
        return Stay(arrival, departure)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from exc


def price(session: Session, *, prop: Property, type_: RoomType, plan: RatePlan, stay: Stay) -> Quote:
    rules = catalog.price_rules(session, plan_id=plan.id, type_id=type_.id)
    closures = [r for r in catalog.stay_rules(session, property_id=prop.id)
                if r.concerns(plan_id=plan.id, type_id=type_.id)]
    return quote(rules, stay, currency=prop.currency, policy=catalog.policy_of(plan), restrictions=closures)


class _Order(NamedTuple):
    """A request checked against one catalog copy: what to sell, at what price."""

    type_: TypeInfo
    plan: PlanInfo
    stay: Stay
    language: str
    priced: Quote


def book(
    session: Session, request: Booking, *, now: datetime, matcher: GuestMatcher | None = None
) -> Reservation:
    """Sell one room of a type for the stay; SoldOut when the type has none left on some night.

    Three statements in the usual case: the catalog stamp with the inventory and the free rooms,
    then the reservation with its nights and room (see ``sale``), then the commit. The catalog
    comes from memory, checked against the stamp read in the same statement.
    """
    if matcher is not None:  # every stay belongs to a guest: a profile is found or made
        request = matcher.attach(session, request)
    if session.new or session.dirty or session.deleted:
        session.flush()  # the statements below bypass the unit of work
    engine = session.get_bind()
    cache = sellable.cache_of(engine if isinstance(engine, Engine) else engine.engine)
    writer = Sale(session)
    kept, free = cache.latest(request.property), None
    if kept is not None and request.assign and not request.block_id:
        try:
            order = _order(session, request, kept, now=now)
        except (UnknownResource, InvalidRequest):
            pass  # perhaps only in this copy: decided below on the current catalog
        else:
            free = writer.sell_and_find(type_id=order.type_.id, stay=order.stay, stamp=kept.stamp)
    early = free is not None  # the rooms were read before the inventory locks were held
    plain_inserts.send(session)  # the guest's rows (unless the sale wrote them) before the reservation
    if kept is not None and early:
        offer = kept
    else:  # no copy yet, a stale one, a block, or no room wanted
        offer = cache.get(session, request.property, stamp=writer.stamp())
        order = _order(session, request, offer, now=now)
        if request.block_id:
            prop = session.get(Property, offer.property_id)
            assert prop is not None
            groups.pick_from_block(
                session, block_id=request.block_id, type_id=order.type_.id, stay=order.stay, prop=prop
            )
        else:
            writer.sell_nights(type_id=order.type_.id, stay=order.stay)
    type_, stay = order.type_, order.stay
    res = _reservation(
        request, offer=offer, type_id=type_.id, plan_id=order.plan.id, stay=stay, priced=order.priced, now=now
    )
    res.guest_language = order.language  # before the insert below writes the row
    sellable.sold_from(session, res.id, offer)
    ranked = []
    if request.assign:
        if free is None:
            free = writer.free_rooms(type_id=type_.id, stay=stay)
        ranked = rooms.rank_free(session, res, free=free, offer=offer, rank=type_.rank)
    held = writer.insert(res, nights=order.priced.nights, rooms=[r.id for r in ranked[: rooms.TRIES]])
    room = offer.rooms.get(held) if held is not None else None
    if room is not None and room.slug:  # the whole stay in one room: the answer needs no read back
        sold = present.Sold(site=offer.slug, room_type=type_.code, rate_plan=order.plan.code,
                            nights=tuple(order.priced.nights), room=room.slug, floor=room.floor)
        present.remember_sold(session, res, sold)
    make_transient_to_detached(res)
    session.add(res)  # persistent as written: no flush, no reload
    record_row(session, res, "create", site=offer.slug)  # the insert above bypassed the unit of work
    if request.assign and held is None:  # all taken meanwhile: look again before an upgrade
        rooms.assign(session, res, fresh=True, tried=not early)
    return res


def _order(session: Session, request: Booking, offer: Sellable, *, now: datetime) -> _Order:
    type_, plan = offer.type_and_plan(request.room_type, request.rate_plan)
    stay = make_stay(request.arrival, request.departure)
    _check_guests(type_.code, type_.max_guests, request.adults, request.children)
    if stay.arrival < local_today(now, offer.timezone):
        raise InvalidRequest("arrival is in the past")
    language = _language(session, request, site=offer.slug, default=offer.language)
    priced = quote(
        offer.rules.get((plan.id, type_.id), ()), stay, currency=offer.currency, policy=plan.policy,
        restrictions=offer.stay_rules(plan_id=plan.id, type_id=type_.id),
    )
    return _Order(type_, plan, stay, language, priced)


def _reservation(
    request: Booking, *, offer: Sellable, type_id: int, plan_id: int, stay: Stay, priced: Quote, now: datetime
) -> Reservation:
    return Reservation(
        id=request.reservation_id or new_id(),
        property_id=offer.property_id,
        status="booked",
        guest_id=request.guest_id,
        guest_name=request.guest_name,
        guest_email=request.guest_email,
        guest_phone=request.guest_phone,
        guest_language=offer.language,
        adults=request.adults,
        children=request.children,
        room_type_id=type_id,
        inventory_type_id=type_id,
        rate_plan_id=plan_id,
        block_id=request.block_id,
        arrival=stay.arrival,
        departure=stay.departure,
        currency=priced.currency,
        total_minor=priced.total_minor,
        deposit_required_minor=priced.deposit_minor,
        cancellation_fee_minor=0,
        late_checkout_fee_minor=0,
        checkout_due_at=local_instant(stay.departure, offer.checkout_at, offer.timezone),
        preferences=dict(request.preferences),
        notes=request.notes,
        created_at=now,
        checked_in_at=None,
        checked_out_at=None,
        cancelled_at=None,
    )


def _language(session: Session, request: Booking, *, site: str, default: str) -> str:
    """The language asked for, else the guest profile's, else the property's (checks the guest)."""
    profile = None
    if request.guest_id is not None:
        profile = check_guest(session, guest_id=request.guest_id, site=site).language
    language = request.guest_language or profile or default or "en"
    _check_language(language)
    return language


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise InvalidRequest(f"the guest's language must be one of {', '.join(LANGUAGES)}")


def _check_guests(code: str, max_guests: int, adults: int, children: int) -> None:
    if adults < 1 or children < 0:
        raise InvalidRequest("at least one adult, and no negative number of children")
    if adults + children > max_guests:
        raise InvalidRequest(f"room type {code} sleeps at most {max_guests}")


def _write_nights(session: Session, res: Reservation, priced: Quote) -> None:
    session.flush()
    session.execute(delete(ReservationNight).where(ReservationNight.reservation_id == res.id))
    session.add_all(
        ReservationNight(reservation_id=res.id, night=n, amount_minor=a) for n, a in priced.nights
    )


def load(session: Session, reservation_id: str, *, lock: bool = False) -> Reservation:
    query = select(Reservation).where(Reservation.id == reservation_id)
    if lock:
        query = query.with_for_update()
    res = session.scalar(query)
    if res is None:
        raise UnknownResource(f"no reservation {reservation_id}")
    return res


def release_holdings(session: Session, res: Reservation) -> None:
    stay = Stay(res.arrival, res.departure)
    allocation.release_stay(session, reservation_id=res.id)
    if res.block_id:
        if res.inventory_type_id != res.room_type_id:  # upgraded: give the block its type back
            inventory.hold(session, type_id=res.room_type_id, stay=stay)
            inventory.release(session, type_id=res.inventory_type_id, stay=stay)
        groups.return_to_block(session, block_id=res.block_id, type_id=res.room_type_id)
        return
    inventory.release(session, type_id=res.inventory_type_id, stay=stay)


def modify(
    session: Session,
    res: Reservation,
    *,
    now: datetime,
    arrival: date | None = None,
    departure: date | None = None,
    room_type: str | None = None,
    adults: int | None = None,
    children: int | None = None,
) -> Reservation:
    """Change dates, type or guests: release what it held, then hold the new stay, all or nothing."""
    if res.status != "booked":
        raise WrongState(f"a {res.status} reservation cannot be modified")
    prop = session.get(Property, res.property_id)
    assert prop is not None
    type_ = (
        catalog.room_type(session, prop, room_type) if room_type else session.get(RoomType, res.room_type_id)
    )
    plan = session.get(RatePlan, res.rate_plan_id)
    assert type_ is not None and plan is not None
    if res.block_id and type_.id != res.room_type_id:
        raise InvalidRequest("a group reservation keeps its block's room type")
    stay = make_stay(arrival or res.arrival, departure or res.departure)
    if stay.arrival < local_today(now, prop.timezone):
        raise InvalidRequest("arrival is in the past")
    res.adults, res.children = adults or res.adults, res.children if children is None else children
    _check_guests(type_.code, type_.max_guests, res.adults, res.children)
    priced = price(session, prop=prop, type_=type_, plan=plan, stay=stay)
    release_holdings(session, res)
    if res.block_id:
        groups.pick_from_block(session, block_id=res.block_id, type_id=type_.id, stay=stay, prop=prop)
    else:
        inventory.hold(session, type_id=type_.id, stay=stay)
    res.arrival, res.departure, res.room_type_id, res.inventory_type_id = (
        stay.arrival,
        stay.departure,
        type_.id,
        type_.id,
    )
    res.total_minor, res.deposit_required_minor = priced.total_minor, priced.deposit_minor
    res.checkout_due_at = local_instant(stay.departure, prop.checkout_at, prop.timezone)
    _write_nights(session, res, priced)
    rooms.assign(session, res)
    return res


GUEST_DETAILS = ("guest_name", "guest_email", "guest_phone", "guest_language")


def update_guest(session: Session, res: Reservation, **details: str) -> Reservation:
    """Correct the guest's name or contact, or the language invoices and messages are written in."""
    if res.status not in HOLDING:
        raise WrongState(f"a {res.status} reservation's guest details are kept as they were")
    unknown = set(details) - set(GUEST_DETAILS)
    if unknown:
        raise InvalidRequest(f"not a guest detail: {', '.join(sorted(unknown))}")
    if "guest_language" in details:
        _check_language(details["guest_language"])
    if "guest_name" in details and not details["guest_name"].strip():
        raise InvalidRequest("the guest's name cannot be empty")
    for name, value in details.items():
        setattr(res, name, value)
    return res
