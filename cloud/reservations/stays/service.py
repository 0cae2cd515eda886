"""Check-in (early when the room is ready), check-out at the exact hour, late checkout as an extra."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cloud.board.models import RoomStatus
from cloud.catalog.models import Floor, Property, Room
from cloud.core.nights import Stay, local_instant, local_time, local_today
from cloud.reservations.errors import InvalidRequest, RoomUnavailable, TooEarly, WrongState
from cloud.reservations.models import Reservation, ReservationNight, RoomAllocation
from cloud.reservations.sales import allocation, inventory
from cloud.reservations.stays import credentials, rooms
from cloud.reservations.stays.credentials import SYSTEM, Actor, CredentialIssuer
from cloud.reservations.stays.guest_history import StayHistory
from cloud.reservations.stays.ledger import StayLedger

READY = ("clean", "inspected")


def room_ready(session: Session, room_id: int) -> bool:
    """Clean or inspected and empty, as the floor's gateway last reported it."""
    room = session.get(Room, room_id)
    assert room is not None
    floor, prop = session.get(Floor, room.floor_id), session.get(Property, room.property_id)
    assert floor is not None and prop is not None
    status = session.get(RoomStatus, (prop.slug, floor.slug, room.slug))
    return status is not None and status.housekeeping in READY and not status.occupied


def check_in(
    session: Session, res: Reservation, *, issuer: CredentialIssuer, now: datetime, actor: Actor = SYSTEM
) -> Reservation:
    """Assign a room if needed, issue its card to the floor's gateway, mark the stay in house."""
    prop = session.get(Property, res.property_id)
    assert prop is not None
    if res.status != "booked":
        raise WrongState(f"a {res.status} reservation cannot check in")
    today = local_today(now, prop.timezone)
    if today < res.arrival:
        raise TooEarly(f"arrival is {res.arrival.isoformat()}")
    if today >= res.departure:
        raise WrongState("the stay is over; record a no-show instead")
    if not rooms.assign(session, res):
        raise RoomUnavailable("no room can be assigned for this stay; move another stay first")
    segments = allocation.stay_allocations(session, res.id)
    first = next(s for s in segments if s.start_night <= today < s.end_night)
    early = today == res.arrival and local_time(now, prop.timezone) < prop.checkin_from
    if early and not room_ready(session, first.room_id):
        raise TooEarly(f"check-in opens at {prop.checkin_from.isoformat('minutes')}; the room is not ready")
    for seg in segments:
        if seg.end_night <= today:
            continue
        valid_from = now if seg is first else local_instant(seg.start_night, prop.checkin_from, prop.timezone)
        until = (
            res.checkout_due_at
            if seg.end_night == res.departure
            else local_instant(seg.end_night, prop.checkout_at, prop.timezone)
        )
        credentials.issue_for_room(
            session, issuer, res=res, room_id=seg.room_id, valid_from=valid_from, valid_until=until, now=now,
            actor=actor,
        )
    res.status, res.checked_in_at = "checked_in", now
    return res


def check_out(
    session: Session,
    res: Reservation,
    *,
    now: datetime,
    history: StayHistory | None = None,
    actor: Actor = SYSTEM,
) -> Reservation:
    """Revoke the cards, free any nights not used (early departure), send the room to housekeeping."""
    prop = session.get(Property, res.property_id)
    assert prop is not None
    if res.status != "checked_in":
        raise WrongState(f"a {res.status} reservation cannot check out")
    today = local_today(now, prop.timezone)
    first_unused = max(today, res.arrival + timedelta(days=1))  # the first night is always used
    if first_unused < res.departure:  # leaving early: the rest goes back on sale
        _free_rest(session, res, Stay(first_unused, res.departure))
    room_ids = credentials.revoke_all(session, res, now=now, actor=actor)
    for room_id in sorted(set(room_ids)):
        credentials.room_settings(session, room_id=room_id, occupied=False, housekeeping="dirty")
    res.status, res.checked_out_at = "checked_out", now
    if history is not None:
        history.record(session, res)
    return res


def change_departure(
    session: Session,
    res: Reservation,
    *,
    departure: date,
    issuer: CredentialIssuer | None = None,
    now: datetime | None = None,
) -> None:
    """A long stay's end moved (notice given, or a renewal): nights after the new end go back on sale;
    nights added are held for the stay's last room through the same inventory and allocation rules as
    a booking, so a night already sold is refused (SoldOut / RoomUnavailable) and nothing changes.
    An in-house stay's cards are re-issued to the new checkout (as a late checkout does), given
    ``issuer``."""
    if res.status not in ("booked", "checked_in"):
        raise WrongState(f"a {res.status} reservation cannot change its departure")
    if departure <= res.arrival:
        raise InvalidRequest("the stay ends after it starts")
    if departure < res.departure:
        _free_rest(session, res, Stay(departure, res.departure))
    elif departure > res.departure:
        more = Stay(res.departure, departure)
        last = session.scalars(
            select(RoomAllocation)
            .where(RoomAllocation.reservation_id == res.id)
            .order_by(RoomAllocation.start_night.desc())
        ).first()
        inventory.hold(session, type_id=res.inventory_type_id, stay=more)
        if last is not None:
            allocation.allocate(session, room_id=last.room_id, stay=more, reservation_id=res.id)
        res.departure = departure
    prop = session.get(Property, res.property_id)
    assert prop is not None
    res.checkout_due_at = local_instant(res.departure, prop.checkout_at, prop.timezone)
    if res.status == "checked_in" and issuer is not None and now is not None:
        last = allocation.stay_allocations(session, res.id)[-1]
        credentials.issue_for_room(
            session,
            issuer,
            res=res,
            room_id=last.room_id,
            valid_from=now,
            valid_until=res.checkout_due_at,
            now=now,
            companions=True,
        )


def _free_rest(session: Session, res: Reservation, rest: Stay) -> None:
    allocation.release_stay(session, reservation_id=res.id, from_night=rest.arrival)
    inventory.release(session, type_id=res.inventory_type_id, stay=rest)
    session.execute(
        delete(ReservationNight).where(
            ReservationNight.reservation_id == res.id, ReservationNight.night >= rest.arrival
        )
    )
    res.departure = rest.arrival
    res.total_minor = sum(
        session.scalars(
            select(ReservationNight.amount_minor).where(ReservationNight.reservation_id == res.id)
        )
    )
    res.deposit_required_minor = min(res.deposit_required_minor, res.total_minor)


def late_checkout(
    session: Session,
    res: Reservation,
    *,
    until: time,
    issuer: CredentialIssuer,
    now: datetime,
    actor: Actor = SYSTEM,
) -> Reservation:
    """Extend the last day to ``until`` for the hourly fee; re-issues the stay's cards (guest 1's
    and each companion's) for the new hour."""
    prop = session.get(Property, res.property_id)
    assert prop is not None
    if res.status not in ("booked", "checked_in"):
        raise WrongState(f"a {res.status} reservation cannot get a late checkout")
    if not prop.checkout_at < until <= prop.latest_checkout_at:
        raise InvalidRequest(
            f"late checkout is between {prop.checkout_at.isoformat('minutes')} and "
            f"{prop.latest_checkout_at.isoformat('minutes')}"
        )
    due = local_instant(res.departure, until, prop.timezone)
    hours = math.ceil(
        (due - local_instant(res.departure, prop.checkout_at, prop.timezone)).total_seconds() / 3600
    )
    res.checkout_due_at, res.late_checkout_fee_minor = due, hours * prop.late_checkout_hourly_minor
    if res.status == "checked_in":
        last = allocation.stay_allocations(session, res.id)[-1]
        credentials.issue_for_room(
            session, issuer, res=res, room_id=last.room_id, valid_from=now, valid_until=due, now=now,
            actor=actor, companions=True,
        )
    return res


def checkout_due(
    session: Session,
    *,
    now: datetime,
    property_id: int | None = None,
    history: StayHistory | None = None,
    ledger: StayLedger | None = None,
) -> list[str]:
    """Check out every stay whose hour has come (run every minute); returns their ids.

    The guest has left: a balance still owed stays on the open folio for the reminders."""
    query = select(Reservation).where(Reservation.status == "checked_in", Reservation.checkout_due_at <= now)
    if property_id is not None:
        query = query.where(Reservation.property_id == property_id)
    due = list(session.scalars(query.with_for_update()))
    for res in due:
        check_out(session, res, now=now, history=history)
        if ledger is not None:
            ledger.checked_out(session, res, now=now, invoice=False)
    return [res.id for res in due]
