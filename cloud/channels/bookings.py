"""A channel's reservations through the desk's own booking path: book, modify, cancel.

Every reservation a channel sends is sold by ``reservations.sales.booking`` under the same
database invariants as the desk's. When a night is sold out (or closed) the channel has sold
what we no longer have: the reservation is kept as an overbooking for staff to resolve, never
dropped, and no night is oversold. Refusals (unknown codes, past dates, negative amounts,
duplicates, a modify of something never received) raise ChannelInvalid and store nothing.

A reservation of several rooms (several RoomStays) is held whole or not at all: when one of its
rooms cannot be sold the whole reservation is refused (OpenTravel error 322, no availability)
and the channel keeps it; a modify states the reservation whole (a room it no longer lists is
cancelled, a new IndexNumber is a room added) and a room is cancelled on its own by its
RoomStayStatus. A stay the channel prices is sold at the channel's price: its nights carry the
channel's amounts (tax included or not, as the property prices), our own price is kept beside
them, so the markup and the commission can be read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cloud.billing.folio import ChargeKind
from cloud.billing.tax import TaxPolicy, apply_taxes
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
from cloud.reservations.models import Reservation, ReservationNight
from cloud.reservations.sales import booking, cancellation
from cloud.reservations.sales.booking import Booking
from cloud.reservations.sales.guest_match import GuestMatcher
from cloud.reservations.stays.ledger import StayLedger

CONFLICTS = (SoldOut, Restricted)  # the channel sold what we cannot: kept as an overbooking
OPEN = ("booked", "overbooked")
# OpenTravel error codes (OTA code list ERR) sent back with a refusal
NO_AVAILABILITY, INVALID_HOTEL, INVALID_ROOM_TYPE, INVALID_RATE = 322, 392, 402, 249
TaxesOf = Callable[[Session, Property], TaxPolicy]  # the property's taxes (billing's set-up)


def refused(detail: str, code: int | None = None) -> ChannelInvalid:
    return ChannelInvalid(detail, ota_code=code) if code else ChannelInvalid(detail)


def apply_reservation(
    session: Session,
    channel: Channel,
    facts: Sequence[ChannelBooking],
    *,
    now: datetime,
    ledger: StayLedger | None,
    matcher: GuestMatcher | None = None,
    taxes: TaxesOf | None = None,
) -> list[ChannelReservation]:
    """Store every room stay of one channel reservation (one confirmation number), all or none:
    on a refusal the caller rolls the whole transaction back. Returns its rooms, in room order."""
    confirmation = facts[0].confirmation
    for fact in facts:
        if fact.hotel_code != channel.hotel_code:
            raise refused(
                f"hotel code {fact.hotel_code!r} is not this property's at {channel.code}", INVALID_HOTEL
            )
    found = list(
        session.scalars(
            select(ChannelReservation)
            .where(
                ChannelReservation.channel_id == channel.id, ChannelReservation.confirmation == confirmation
            )
            .order_by(ChannelReservation.room_index)
            .with_for_update()
        )
    )
    rooms = {row.room_index: row for row in found}
    if any(f.room_index == 0 for f in facts):  # the reservation cancelled whole
        if not found:
            raise ChannelInvalid(f"a cancellation of reservation {confirmation}, which was never received")
        return [_cancel(session, row, confirmation, now=now, ledger=ledger) for row in found]
    prop = session.get(Property, channel.property_id)
    assert prop is not None
    sold = [f for f in facts if f.action != "cancel"]
    checked = {f.room_index: _checked(session, channel, prop, f, now=now) for f in sold}
    sell = _Seller(session, channel, prop, now=now, ledger=ledger, matcher=matcher, taxes=taxes)
    if any(f.action == "book" for f in facts):
        if found:
            if len(found) == len(sold) and all(
                f.room_index in rooms and _same(rooms[f.room_index], checked[f.room_index][0], f,
                                                checked[f.room_index][1])
                for f in sold
            ):
                return found  # the channel resent what we stored (our answer was lost)
            raise ChannelInvalid(
                f"confirmation number {confirmation} was already received with other details"
            )
        out = [sell.book(f, *checked[f.room_index]) for f in sold]
        _whole(out, several=len(out) > 1)
        return out
    if not found:
        what = "a modify" if sold else "a cancellation"
        raise ChannelInvalid(f"{what} for reservation {confirmation}, which was never received")
    several = len(facts) > 1 or len(found) > 1
    for fact in facts:  # rooms released first, so that the others can take their nights
        if fact.action == "cancel":
            if fact.room_index not in rooms:
                raise ChannelInvalid(
                    f"a cancellation of room {fact.room_index} of reservation {confirmation}, "
                    "which was never received"
                )
            _cancel(session, rooms[fact.room_index], confirmation, now=now, ledger=ledger)
    if sold:  # a modify states the reservation whole: a room it no longer lists is cancelled
        listed = {f.room_index for f in facts}
        for gone in found:
            if gone.room_index not in listed and gone.status in OPEN:
                _cancel(session, gone, confirmation, now=now, ledger=ledger)
    for fact in sold:
        mapping, total = checked[fact.room_index]
        kept = rooms.get(fact.room_index)
        rooms[fact.room_index] = (
            sell.book(fact, mapping, total) if kept is None else sell.modify(kept, fact, mapping, total)
        )
    out = [rooms[i] for i in sorted(rooms)]
    _whole(out, several=several)
    return out


def _whole(rows: list[ChannelReservation], *, several: bool) -> None:
    """A reservation of several rooms is held whole: one room that cannot be sold refuses it."""
    if not several:
        return  # one room: kept as an overbooking for staff to resolve
    short = [r for r in rows if r.status == "overbooked"]
    if short:
        why = "; ".join(f"room {r.room_index}: {(r.detail or {}).get('conflict', 'sold out')}" for r in short)
        raise refused(
            f"reservation {rows[0].confirmation}: not every room can be held, so none is ({why})",
            NO_AVAILABILITY,
        )


def apply(
    session: Session,
    channel: Channel,
    fact: ChannelBooking,
    *,
    now: datetime,
    ledger: StayLedger | None,
    matcher: GuestMatcher | None = None,
) -> ChannelReservation:
    """Store one room's fact (an iCal hold); the caller commits (or rolls back on a refusal)."""
    rows = apply_reservation(session, channel, [fact], now=now, ledger=ledger, matcher=matcher)
    return next((r for r in rows if r.room_index == max(fact.room_index, 1)), rows[0])


def _checked(
    session: Session, channel: Channel, prop: Property, fact: ChannelBooking, *, now: datetime
) -> tuple[ChannelMapping, int]:
    where = f"reservation {fact.confirmation}" + (f", room {fact.room_index}" if fact.room_index > 1 else "")
    mapping = session.scalar(
        select(ChannelMapping).where(
            ChannelMapping.channel_id == channel.id,
            ChannelMapping.room_code == fact.room_code,
            ChannelMapping.rate_code == fact.rate_code,
        )
    )
    if mapping is None:
        known_room = session.scalar(
            select(ChannelMapping.id).where(
                ChannelMapping.channel_id == channel.id, ChannelMapping.room_code == fact.room_code
            ).limit(1)
        )
        raise refused(
            f"unknown room type or rate code {fact.room_code}/{fact.rate_code} at channel {channel.code}",
            INVALID_RATE if known_room is not None else INVALID_ROOM_TYPE,
        )
    assert fact.arrival is not None and fact.departure is not None and fact.total is not None
    if fact.departure <= fact.arrival:
        raise ChannelInvalid(f"{where}: departure is not after arrival")
    if fact.arrival < local_today(now, prop.timezone):
        raise ChannelInvalid(f"{where}: arrival {fact.arrival} is in the past")
    for amount in (fact.total, fact.before_tax, fact.after_tax, fact.taxes):
        if amount is not None and amount < 0:
            raise ChannelInvalid(f"{where}: negative amount {amount}")
    if fact.currency != prop.currency:
        raise ChannelInvalid(f"{where}: currency {fact.currency}, the property sells in {prop.currency}")
    if not fact.guest_name.strip():
        raise ChannelInvalid(f"{where}: no guest name")
    try:
        total = Money.parse(str(fact.total), prop.currency).minor
    except MoneyError as exc:
        raise ChannelInvalid(f"{where}: {exc}") from exc
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


def folio_amount(fact: ChannelBooking, currency: str, policy: TaxPolicy) -> tuple[int, int | None, int]:
    """The stay at the channel's price in the property's convention (tax included or not), pure:
    (amount, the taxes the channel states or None, the taxes the property's rates make of it).

    The stated side is taken as is; the other one is derived with the taxes the message states
    (Taxes, or after tax less before tax), and only when it states none, with the property's rates.
    """
    where = f"reservation {fact.confirmation}"

    def minor(value: object) -> int | None:
        if value is None:
            return None
        try:
            return Money.parse(str(value), currency).minor
        except MoneyError as exc:
            raise ChannelInvalid(f"{where}: {exc}") from exc

    before, after, stated = minor(fact.before_tax), minor(fact.after_tax), minor(fact.taxes)
    if before is not None and after is not None:
        if after < before:
            raise ChannelInvalid(f"{where}: the amount after tax is below the amount before tax")
        if stated is not None and before + stated != after:
            raise ChannelInvalid(f"{where}: before and after tax differ by other than the taxes stated")
        stated = after - before
    rates = policy.rates_for(ChargeKind.ROOM_NIGHT.value)
    if policy.inclusive:
        if after is not None:
            amount = after
        elif before is not None and stated is not None:
            amount = before + stated
        else:
            assert before is not None
            amount = apply_taxes(Money(before, currency), rates, inclusive=False).gross.minor
    else:
        if before is not None:
            amount = before
        elif after is not None and stated is not None:
            if stated > after:
                raise ChannelInvalid(f"{where}: the taxes stated exceed the amount")
            amount = after - stated
        else:
            assert after is not None
            amount = apply_taxes(Money(after, currency), rates, inclusive=True).net.minor
    ours = apply_taxes(Money(amount, currency), rates, inclusive=policy.inclusive).tax.minor
    return amount, stated, ours


def split_nights(amount: int, currency: str, nights: list[date], sold: list[list[object]]) -> list[int]:
    """The stay's amount over its nights, pure: in proportion to the channel's nightly rates when
    they cover every night, else evenly; the parts add up to the amount exactly."""
    rates = {date.fromisoformat(str(n)): int(str(m)) for n, m in sold}
    weights = [rates.get(n, 0) for n in nights]
    if len(rates) != len(nights) or sum(weights) <= 0:
        weights = [1] * len(nights)
    return [m.minor for m in Money(amount, currency).allocate(weights)]


def _same(found: ChannelReservation, mapping: ChannelMapping, fact: ChannelBooking, total: int) -> bool:
    return (
        found.arrival,
        found.departure,
        found.room_type_id,
        found.rate_plan_id,
        found.guest_name,
        found.total_minor,
    ) == (fact.arrival, fact.departure, mapping.room_type_id, mapping.rate_plan_id, fact.guest_name, total)


class _Seller:
    """Books and modifies the rooms of one channel reservation through the desk's booking path."""

    def __init__(
        self,
        session: Session,
        channel: Channel,
        prop: Property,
        *,
        now: datetime,
        ledger: StayLedger | None,
        matcher: GuestMatcher | None,
        taxes: TaxesOf | None,
    ) -> None:
        self.session, self.channel, self.prop, self.now = session, channel, prop, now
        self.ledger, self.matcher, self.taxes = ledger, matcher, taxes

    def book(self, fact: ChannelBooking, mapping: ChannelMapping, total: int) -> ChannelReservation:
        row = ChannelReservation(
            channel_id=self.channel.id,
            confirmation=fact.confirmation,
            room_index=max(fact.room_index, 1),
            status="booked",
            currency=self.prop.currency,
            received_at=self.now,
            updated_at=self.now,
        )
        _describe(row, mapping, fact, total)
        row.reservation_id = self._sell(mapping, fact, row)
        self.session.add(row)
        self.session.flush()
        return row

    def _sell(self, mapping: ChannelMapping, fact: ChannelBooking, row: ChannelReservation) -> str | None:
        """Our reservation's id, or None with the row marked an overbooking (nothing held)."""
        session = self.session
        type_, plan = session.get(RoomType, mapping.room_type_id), session.get(RatePlan, mapping.rate_plan_id)
        assert type_ is not None and plan is not None and fact.arrival and fact.departure
        request = Booking(
            property=self.prop.slug,
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
                res = booking.book(session, request, now=self.now, matcher=self.matcher)
                session.flush()
        except CONFLICTS as exc:
            row.status = "overbooked"
            row.detail = {**row.detail, "conflict": exc.detail}
            return None
        except (InvalidRequest, UnknownResource) as exc:
            raise ChannelInvalid(f"reservation {fact.confirmation}: {exc.detail}") from exc
        self._channel_price(res, fact, row)
        if self.ledger is not None:
            self.ledger.booked(session, res, now=self.now)
        return res.id

    def modify(
        self, found: ChannelReservation, fact: ChannelBooking, mapping: ChannelMapping, total: int
    ) -> ChannelReservation:
        session, now = self.session, self.now
        if found.status in ("cancelled", "overbooking_cancelled"):
            raise ChannelInvalid(f"reservation {fact.confirmation} was cancelled; it cannot be modified")
        found.updated_at = now
        if found.reservation_id is None:  # an overbooking: try to sell the new stay
            _describe(found, mapping, fact, total)
            found.status = "booked"
            found.reservation_id = self._sell(mapping, fact, found)
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
        self._channel_price(res, fact, found)
        if self.ledger is not None:
            self.ledger.modified(session, res, now=now)
        return found

    def _channel_price(self, res: Reservation, fact: ChannelBooking, row: ChannelReservation) -> None:
        """The nights at the channel's price (the folio posts them); our own price kept beside."""
        if not fact.priced:
            return  # an iCal hold states no price: sold at ours
        prop, session = self.prop, self.session
        policy = self.taxes(session, prop) if self.taxes else TaxPolicy(inclusive=prop.prices_include_tax)
        amount, stated, ours_tax = folio_amount(fact, prop.currency, policy)
        nights = [res.arrival + timedelta(days=i) for i in range((res.departure - res.arrival).days)]
        parts = split_nights(amount, prop.currency, nights, row.detail.get("nightly") or [])
        row.ours_minor = res.total_minor  # our own price of the stay, in the same convention
        session.execute(delete(ReservationNight).where(ReservationNight.reservation_id == res.id))
        session.add_all(
            ReservationNight(reservation_id=res.id, night=n, amount_minor=m)
            for n, m in zip(nights, parts, strict=True)
        )
        res.total_minor = amount
        res.deposit_required_minor = min(res.deposit_required_minor, amount)
        gross = amount if policy.inclusive else amount + ours_tax  # what the guest pays, tax included
        detail = {**row.detail, "folio_minor": amount, "gross_minor": gross, "tax_included": policy.inclusive}
        if stated is not None:
            detail["taxes_stated_minor"] = stated
            if abs(stated - ours_tax) > len(nights):  # more than the rounding of one line a night
                detail["tax_note"] = (
                    f"the channel states taxes of {Money(stated, prop.currency)}, "
                    f"the property's rates make {Money(ours_tax, prop.currency)}"
                )
        row.detail = detail


def _cancel(
    session: Session,
    found: ChannelReservation,
    confirmation: str,
    *,
    now: datetime,
    ledger: StayLedger | None,
) -> ChannelReservation:
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
        raise ChannelInvalid(f"reservation {confirmation}: {exc.detail}") from exc
    sold = [int(minor) for _night, minor in found.detail.get("nightly") or []]
    if sold and "folio_minor" not in found.detail:  # the rate plan's policy, on what the channel sold
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
