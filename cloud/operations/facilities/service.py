"""Facilities: adding them, booking a slot (checked whole, charged, a door pass signed), cancelling.

Bookings of one facility serialise on its row (``bookings_version`` is bumped first, which takes
the row's write lock on PostgreSQL and the database's on SQLite), so two desks cannot both take
the last place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.billing.settings import BillingSettings
from cloud.catalog.models import Floor, Property, Room
from cloud.commands.outbox import enqueue_command
from cloud.core.nights import local_instant
from cloud.operations.errors import InvalidOperation, OperationConflict, UnknownThing
from cloud.operations.facilities import door_pass
from cloud.operations.facilities.models import AREAS, Facility, FacilityBooking
from cloud.operations.facilities.slots import Hours, Slot, SlotRefused, check_capacity, check_slot
from cloud.operations.folio_charge import charge_stay
from cloud.operations.requests.service import property_of
from cloud.reservations.models import Reservation, RoomAllocation
from mqtt.access_messages import FacilitySlot
from mqtt.envelope import new_id
from mqtt.messages import CredentialRevoke


@dataclass(frozen=True, slots=True)
class FacilityIn:
    code: str
    names: dict[str, str]
    area: str
    opens: time
    closes: time
    capacity: int
    slot_minutes: int
    price_minor: int
    charge_kind: str


@dataclass(frozen=True, slots=True)
class SlotIn:
    reservation_id: str
    day: date
    start: time
    end: time
    guests: int
    source: str


def add_facility(session: Session, *, site: str, body: FacilityIn) -> Facility:
    prop = property_of(session, site)
    if body.area not in AREAS or not body.names.get("en", "").strip():
        raise InvalidOperation(f"a facility has an English name and a door area among {', '.join(AREAS)}")
    if not body.opens < body.closes:
        raise InvalidOperation("a facility closes after it opens, the same day")
    if session.scalar(select(Facility.id).where(Facility.property_id == prop.id, Facility.code == body.code)):
        raise OperationConflict(f"facility {body.code!r} exists")
    row = Facility(
        id=new_id(),
        property_id=prop.id,
        code=body.code,
        names=body.names,
        area=body.area,
        opens=body.opens,
        closes=body.closes,
        capacity=body.capacity,
        slot_minutes=body.slot_minutes,
        price_minor=body.price_minor,
        currency=prop.currency,
        charge_kind=body.charge_kind,
        active=True,
        bookings_version=0,
    )
    session.add(row)
    session.flush()
    return row


def facilities_of(session: Session, *, site: str) -> list[Facility]:
    prop = property_of(session, site)
    return list(
        session.scalars(
            select(Facility).where(Facility.property_id == prop.id, Facility.active).order_by(Facility.code)
        )
    )


def facility(session: Session, prop: Property, code: str) -> Facility:
    row = session.scalar(
        select(Facility).where(Facility.property_id == prop.id, Facility.code == code, Facility.active)
    )
    if row is None:
        raise UnknownThing(f"no facility {code!r} at {prop.slug}")
    return row


def _stay(session: Session, prop: Property, reservation_id: str) -> Reservation:
    res = session.get(Reservation, reservation_id)
    if res is None or res.property_id != prop.id:
        raise UnknownThing(f"no reservation {reservation_id} at {prop.slug}")
    if res.status not in ("booked", "checked_in"):
        raise OperationConflict("facilities are booked for current or coming stays")
    return res


def _checked_slot(place: Facility, prop: Property, res: Reservation, body: SlotIn) -> Slot:
    if not res.arrival <= body.day <= res.departure:
        raise InvalidOperation("the slot falls on a day of the stay")
    try:
        check_slot(
            start=body.start,
            end=body.end,
            hours=Hours(place.opens, place.closes),
            slot_minutes=place.slot_minutes,
        )
    except SlotRefused as exc:
        raise InvalidOperation(exc.detail, reason=exc.reason) from None
    return Slot(
        local_instant(body.day, body.start, prop.timezone), local_instant(body.day, body.end, prop.timezone)
    )


def book(
    session: Session,
    *,
    site: str,
    code: str,
    body: SlotIn,
    signer: door_pass.PassSigner,
    billing: BillingSettings,
    actor: str,
    now: datetime,
) -> FacilityBooking:
    """Check hours, stay and capacity; then charge the folio (in-house stays) and sign the pass."""
    prop = property_of(session, site)
    place = facility(session, prop, code)
    res = _stay(session, prop, body.reservation_id)
    slot = _checked_slot(place, prop, res, body)
    if slot.end <= now:
        raise InvalidOperation("that slot is over", reason="past")
    session.execute(
        update(Facility).where(Facility.id == place.id).values(bookings_version=Facility.bookings_version + 1)
    )
    booked = [
        (Slot(b.start_at, b.end_at), b.guests)
        for b in session.scalars(
            select(FacilityBooking).where(
                FacilityBooking.facility_id == place.id,
                FacilityBooking.day == body.day,
                FacilityBooking.status == "booked",
            )
        )
    ]
    try:
        check_capacity(slot, guests=body.guests, capacity=place.capacity, booked=booked)
    except SlotRefused as exc:
        raise OperationConflict(exc.detail, reason=exc.reason) from None
    if res.status == "checked_in":
        charge_stay(
            session,
            reservation=res,
            site=site,
            kind=place.charge_kind,
            description=place.names.get("en", place.code),
            unit_minor=place.price_minor,
            quantity=body.guests,
            currency=place.currency,
            billing=billing,
            now=now,
        )
    request = door_pass.pass_request(site_number=prop.number, area=place.area, start=slot.start, end=slot.end)
    row = FacilityBooking(
        id=new_id(),
        facility_id=place.id,
        reservation_id=res.id,
        day=body.day,
        start_at=slot.start,
        end_at=slot.end,
        guests=body.guests,
        status="booked",
        source=body.source,
        credential_id=door_pass.credential_text(request),
        card=signer.sign(request, now=now),
        created_at=now,
        created_by=actor[:100],
    )
    session.add(row)
    session.flush()
    _send_slot(session, prop, place, row, cancelled=False)
    return row


def _send_slot(
    session: Session, prop: Property, place: Facility, row: FacilityBooking, *, cancelled: bool
) -> None:
    """Tell every floor's gateway that the stay's own cards open the facility's door within the slot
    (or no longer do). A stay with no room yet on that day has only the pass."""
    where = session.execute(
        select(Room.number, Floor.level)
        .join(RoomAllocation, RoomAllocation.room_id == Room.id)
        .join(Floor, Floor.id == Room.floor_id)
        .where(RoomAllocation.reservation_id == row.reservation_id, RoomAllocation.start_night <= row.day)
        .order_by(RoomAllocation.start_night.desc())
        .limit(1)
    ).first()
    if where is None:
        return
    data = FacilitySlot.model_validate(
        {"booking_id": row.id, "area": place.area, "floor": where.level, "room": where.number,
         "start": row.start_at, "end": row.end_at, "cancelled": cancelled}
    )
    for floor in session.scalars(select(Floor.slug).where(Floor.property_id == prop.id)):
        enqueue_command(session, site=prop.slug, floor=floor, type="facility.slot", data=data)


def bookings_of(session: Session, *, site: str, day: date) -> list[tuple[FacilityBooking, Facility]]:
    prop = property_of(session, site)
    rows = session.execute(
        select(FacilityBooking, Facility)
        .join(Facility, Facility.id == FacilityBooking.facility_id)
        .where(
            Facility.property_id == prop.id, FacilityBooking.day == day, FacilityBooking.status == "booked"
        )
        .order_by(Facility.code, FacilityBooking.start_at)
    ).all()
    return [(r[0], r[1]) for r in rows]


def cancel(session: Session, *, site: str, booking_id: str) -> FacilityBooking:
    """Free the place and revoke the pass on every floor's gateway (it may guard the facility's door).

    A charge already posted stays on the folio; the desk corrects it there if the hotel refunds."""
    prop = property_of(session, site)
    row = session.get(FacilityBooking, booking_id)
    place = session.get(Facility, row.facility_id) if row is not None else None
    if row is None or place is None or place.property_id != prop.id:
        raise UnknownThing(f"no facility booking {booking_id} at {site}")
    if row.status != "booked":
        raise OperationConflict("this booking is already cancelled")
    row.status = "cancelled"
    _send_slot(session, prop, place, row, cancelled=True)
    for floor in session.scalars(select(Floor.slug).where(Floor.property_id == prop.id)):
        enqueue_command(
            session,
            site=site,
            floor=floor,
            type="credential.revoke",
            data=CredentialRevoke(credential_id=row.credential_id, until=row.end_at),
        )
    session.flush()
    return row


def follow_move(session: Session, res: Reservation, *, from_night: date) -> None:
    """A room move: the stay's booked slots from its first night in the new room on follow it, so
    the new room's cards open the facility within them and the old room's no longer do (each
    floor's gateway keeps one slot per booking: the new one replaces it). Audited."""
    rows = session.execute(
        select(FacilityBooking, Facility)
        .join(Facility, Facility.id == FacilityBooking.facility_id)
        .where(
            FacilityBooking.reservation_id == res.id,
            FacilityBooking.status == "booked",
            FacilityBooking.day >= from_night,
        )
        .order_by(FacilityBooking.start_at)
    ).all()
    if not rows:
        return
    prop = session.get(Property, res.property_id)
    assert prop is not None
    for row, place in rows:
        _send_slot(session, prop, place, row, cancelled=False)
    audit(
        session,
        "system:room-move",
        "facility.slots_moved",
        "reservation",
        res.id,
        {"bookings": [row.id for row, _ in rows], "from_night": from_night.isoformat()},
        site=prop.slug,
    )
