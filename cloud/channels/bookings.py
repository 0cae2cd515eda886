"""A channel's reservations through the desk's own booking path: book, modify, cancel.

Every reservation a channel sends is sold by ``reservations.sales.booking`` under the same
database invariants as the desk's. When a night is sold out (or closed) the channel has sold
what we no longer have: the reservation is kept as an overbooking for staff to resolve, never
dropped, and no night is oversold. Refusals (unknown codes, past dates, negative amounts,
duplicates, a modify of something never received) raise ChannelInvalid and store nothing.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog import service as catalog
from cloud.catalog.errors import InvalidRequest, UnknownResource
from cloud.catalog.models import Property, RatePlan, RoomType
from cloud.catalog.pricing import Restricted, cancellation_fee
from cloud.channels.errors import ChannelInvalid
from cloud.channels.models import Channel, ChannelMapping, ChannelReservation
from cloud.channels.ota.res_messages import ChannelBooking
from cloud.core.money import Money, MoneyError
from cloud.core.nights import local_instant, local_today
from cloud.reservations.errors import SoldOut, WrongState
from cloud.reservations.sales import booking, cancellation
from cloud.reservations.sales.booking import Booking
from cloud.reservations.sales.guest_match import GuestMatcher
from cloud.reservations.stays.ledger import StayLedger

CONFLICTS = (SoldOut, Restricted)  # the channel sold what we cannot: kept as an overbooking


def apply(
    session: Session,
    channel: Channel,
    fact: ChannelBooking,
    *,
    now: datetime,
    ledger: StayLedger | None,
    matcher: GuestMatcher | None = None,
) -> ChannelReservation:
    """Store one reservation fact; the caller commits (or rolls back everything on a refusal)."""
    prop = session.get(Property, channel.property_id)
    assert prop is not None
    if fact.hotel_code != channel.hotel_code:
        raise ChannelInvalid(f"hotel code {fact.hotel_code!r} is not this property's at {channel.code}")
    found = session.scalar(
        select(ChannelReservation)
        .where(
            ChannelReservation.channel_id == channel.id, ChannelReservation.confirmation == fact.confirmation
        )
        .with_for_update()
    )
    if fact.action == "cancel":
        return _cancel(session, found, fact, now=now, ledger=ledger)
    mapping, total = _checked(session, channel, prop, fact, now=now)
    if fact.action == "book":
        if found is not None:
            if _same(found, mapping, fact, total):
                return found  # the channel resent what we stored (our answer was lost)
            raise ChannelInvalid(
                f"confirmation number {fact.confirmation} was already received with other details"
            )
        return _book(
            session, channel, prop, mapping, fact, total=total, now=now, ledger=ledger, matcher=matcher
        )
    if found is None:
        raise ChannelInvalid(f"a modify for reservation {fact.confirmation}, which was never received")
    return _modify(
        session, channel, prop, found, mapping, fact, total=total, now=now, ledger=ledger, matcher=matcher
    )


def _checked(
    session: Session, channel: Channel, prop: Property, fact: ChannelBooking, *, now: datetime
) -> tuple[ChannelMapping, int]:
    mapping = session.scalar(
        select(ChannelMapping).where(
            ChannelMapping.channel_id == channel.id,
            ChannelMapping.room_code == fact.room_code,
            ChannelMapping.rate_code == fact.rate_code,
        )
    )
    if mapping is None:
        raise ChannelInvalid(
            f"unknown room type or rate code {fact.room_code}/{fact.rate_code} at channel {channel.code}"
        )
    assert fact.arrival is not None and fact.departure is not None and fact.total is not None
    if fact.departure <= fact.arrival:
        raise ChannelInvalid(f"reservation {fact.confirmation}: departure is not after arrival")
    if fact.arrival < local_today(now, prop.timezone):
        raise ChannelInvalid(f"reservation {fact.confirmation}: arrival {fact.arrival} is in the past")
    if fact.total < 0:
        raise ChannelInvalid(f"reservation {fact.confirmation}: negative amount {fact.total}")
    if fact.currency != prop.currency:
        raise ChannelInvalid(
            f"reservation {fact.confirmation}: currency {fact.currency}, "
            f"the property sells in {prop.currency}"
        )
    if not fact.guest_name.strip():
        raise ChannelInvalid(f"reservation {fact.confirmation}: no guest name")
    try:
        total = Money.parse(str(fact.total), prop.currency).minor
    except MoneyError as exc:
        raise ChannelInvalid(f"reservation {fact.confirmation}: {exc}") from exc
    nightly(fact, prop.currency)
    return mapping, total


def nightly(fact: ChannelBooking, currency: str) -> list[list[object]]:
    """The channel's per-night rates as [night, minor units], checked: in the property's currency,
    inside the stay, one rate per night at most."""
    assert fact.arrival is not None and fact.departure is not None
    out: dict[date, int] = {}
    for start, end, amount, rate_currency in fact.nightly:
        if rate_currency != currency:
            raise ChannelInvalid(
                f"reservation {fact.confirmation}: a nightly rate in {rate_currency}, "
                f"the property sells in {currency}"
            )
        try:
            minor = Money.parse(str(amount), currency).minor
        except MoneyError as exc:
            raise ChannelInvalid(f"reservation {fact.confirmation}: {exc}") from exc
        night = start
        while night < end:
            if not fact.arrival <= night < fact.departure:
                raise ChannelInvalid(
                    f"reservation {fact.confirmation}: a nightly rate for {night}, outside the stay"
                )
            if night in out:
                raise ChannelInvalid(f"reservation {fact.confirmation}: two rates for the night of {night}")
            out[night] = minor
            night += timedelta(days=1)
    return [[night.isoformat(), minor] for night, minor in sorted(out.items())]


def _same(found: ChannelReservation, mapping: ChannelMapping, fact: ChannelBooking, total: int) -> bool:
    return (
        found.arrival,
        found.departure,
        found.room_type_id,
        found.rate_plan_id,
        found.guest_name,
        found.total_minor,
    ) == (fact.arrival, fact.departure, mapping.room_type_id, mapping.rate_plan_id, fact.guest_name, total)


def _book(
    session: Session,
    channel: Channel,
    prop: Property,
    mapping: ChannelMapping,
    fact: ChannelBooking,
    *,
    total: int,
    now: datetime,
    ledger: StayLedger | None,
    matcher: GuestMatcher | None = None,
) -> ChannelReservation:
    row = ChannelReservation(
        channel_id=channel.id,
        confirmation=fact.confirmation,
        status="booked",
        currency=prop.currency,
        received_at=now,
        updated_at=now,
    )
    _describe(row, mapping, fact, total)
    row.reservation_id = _sell(session, prop, mapping, fact, row, now=now, ledger=ledger, matcher=matcher)
    session.add(row)
    session.flush()
    return row


def _sell(
    session: Session,
    prop: Property,
    mapping: ChannelMapping,
    fact: ChannelBooking,
    row: ChannelReservation,
    *,
    now: datetime,
    ledger: StayLedger | None,
    matcher: GuestMatcher | None = None,
) -> str | None:
    """Our reservation's id, or None with the row marked an overbooking (nothing held)."""
    type_, plan = session.get(RoomType, mapping.room_type_id), session.get(RatePlan, mapping.rate_plan_id)
    assert type_ is not None and plan is not None and fact.arrival and fact.departure
    request = Booking(
        property=prop.slug,
        room_type=type_.code,
        rate_plan=plan.code,
        arrival=fact.arrival,
        departure=fact.departure,
        guest_name=fact.guest_name[:200],
        adults=fact.adults,
        children=fact.children,
        guest_email=fact.guest_email,
        guest_phone=fact.guest_phone,
        notes="\n".join([f"{row.confirmation} via channel", *fact.remarks])[:4000],
        assign=True,
    )
    try:
        with session.begin_nested():
            res = booking.book(session, request, now=now, matcher=matcher)
            session.flush()
    except CONFLICTS as exc:
        row.status = "overbooked"
        row.detail = {**row.detail, "conflict": exc.detail}
        return None
    except (InvalidRequest, UnknownResource) as exc:
        raise ChannelInvalid(f"reservation {fact.confirmation}: {exc.detail}") from exc
    if ledger is not None:
        ledger.booked(session, res, now=now)
    return res.id


def _modify(
    session: Session,
    channel: Channel,
    prop: Property,
    found: ChannelReservation,
    mapping: ChannelMapping,
    fact: ChannelBooking,
    *,
    total: int,
    now: datetime,
    ledger: StayLedger | None,
    matcher: GuestMatcher | None = None,
) -> ChannelReservation:
    if found.status in ("cancelled", "overbooking_cancelled"):
        raise ChannelInvalid(f"reservation {fact.confirmation} was cancelled; it cannot be modified")
    found.updated_at = now
    if found.reservation_id is None:  # an overbooking: try to sell the new stay
        _describe(found, mapping, fact, total)
        found.status = "booked"
        found.reservation_id = _sell(
            session, prop, mapping, fact, found, now=now, ledger=ledger, matcher=matcher
        )
        return found
    res = booking.load(session, found.reservation_id, lock=True)
    type_ = session.get(RoomType, mapping.room_type_id)
    assert type_ is not None
    if mapping.rate_plan_id != res.rate_plan_id:
        raise ChannelInvalid(f"reservation {fact.confirmation}: a modify cannot change the rate plan")
    try:
        with session.begin_nested():
            booking.modify(
                session,
                res,
                now=now,
                arrival=fact.arrival,
                departure=fact.departure,
                room_type=type_.code,
                adults=fact.adults,
                children=fact.children,
            )
            booking.update_guest(session, res, guest_name=fact.guest_name[:200])
    except CONFLICTS as exc:  # the old stay stays held; staff decide
        found.status = "overbooked"
        found.detail = {
            **found.detail,
            "conflict": f"the modified stay cannot be sold: {exc.detail}",
            "requested": _jsonable(fact),
        }
        return found
    except (InvalidRequest, UnknownResource, WrongState) as exc:
        raise ChannelInvalid(f"reservation {fact.confirmation}: {exc.detail}") from exc
    _describe(found, mapping, fact, total)
    if ledger is not None:
        ledger.modified(session, res, now=now)
    return found


def _cancel(
    session: Session,
    found: ChannelReservation | None,
    fact: ChannelBooking,
    *,
    now: datetime,
    ledger: StayLedger | None,
) -> ChannelReservation:
    if found is None:
        raise ChannelInvalid(f"a cancellation of reservation {fact.confirmation}, which was never received")
    if found.status in ("cancelled", "overbooking_cancelled"):
        return found  # a resent cancellation
    found.updated_at = now
    if found.reservation_id is None:
        found.status = "overbooking_cancelled"
        return found
    res = booking.load(session, found.reservation_id, lock=True)
    try:
        cancellation.cancel(session, res, now=now)
    except WrongState as exc:
        raise ChannelInvalid(f"reservation {fact.confirmation}: {exc.detail}") from exc
    sold = [int(minor) for _night, minor in found.detail.get("nightly") or []]
    if sold:  # the rate plan's policy, on what the channel sold the nights for
        prop, plan = session.get(Property, res.property_id), session.get(RatePlan, res.rate_plan_id)
        assert prop is not None and plan is not None
        res.cancellation_fee_minor = cancellation_fee(
            catalog.policy_of(plan),
            sold,
            now=now,
            checkin_at=local_instant(res.arrival, prop.checkin_from, prop.timezone),
        )
    if ledger is not None:
        ledger.cancelled(session, res, now=now)
    found.status = "cancelled"
    return found


def _describe(row: ChannelReservation, mapping: ChannelMapping, fact: ChannelBooking, total: int) -> None:
    assert fact.arrival is not None and fact.departure is not None
    row.room_type_id, row.rate_plan_id = mapping.room_type_id, mapping.rate_plan_id
    row.arrival, row.departure, row.guest_name, row.total_minor = (
        fact.arrival,
        fact.departure,
        fact.guest_name[:200],
        total,
    )
    row.detail = {
        "adults": fact.adults,
        "children": fact.children,
        "email": fact.guest_email,
        "phone": fact.guest_phone,
        "nightly": nightly(fact, row.currency),
        "remarks": list(fact.remarks),
    }


def _jsonable(fact: ChannelBooking) -> dict[str, object]:
    return {
        k: v.isoformat() if isinstance(v, date) else str(v) if v is not None else None
        for k, v in asdict(fact).items()
    }
