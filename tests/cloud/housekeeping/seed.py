"""Rooms as gateways reported them, and stays arriving and leaving today, for the portal pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from cloud.board.models import RoomStatus
from cloud.catalog import service as catalog
from cloud.catalog.models import Floor, RatePlan, RoomType
from cloud.core.nights import local_today
from cloud.reservations.models import Reservation, RoomAllocation
from cloud.reservations.sales import rooms_inventory
from mqtt.envelope import new_id, utcnow

GUEST = "Ana García López"
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def reported(session: Session, site: str, floor: str, room: str, *, housekeeping: str = "dirty",
             occupied: bool = False, dnd: bool = False, at: datetime = LONG_AGO) -> None:
    """A room snapshot as the floor's gateway published it."""
    session.merge(RoomStatus(site=site, floor=floor, room=room, occupied=occupied, guest_present=occupied,
                             door="closed", lock="locked", dnd=dnd, housekeeping=housekeeping,
                             updated_at=at))


def rooms(session: Session) -> None:
    """hotel/f1: 101 dirty, 102 clean, 103 dirty with do-not-disturb, 104 in progress; annex/g: 201 dirty."""
    reported(session, "hotel", "f1", "101")
    reported(session, "hotel", "f1", "102", housekeeping="clean")
    reported(session, "hotel", "f1", "103", occupied=True, dnd=True)
    reported(session, "hotel", "f1", "104", housekeeping="in_progress")
    reported(session, "hotel", "f2", "201", housekeeping="inspected")
    reported(session, "annex", "g", "g01")


def stays_today(session: Session, *, zone: str = "Europe/Madrid") -> None:
    """In hotel's catalog: a guest arriving today in 102 and one leaving today from 101."""
    prop = catalog.create_property(session, slug="hotel", number=1, name="Hotel", timezone=zone,
                                   currency="EUR")
    floor = Floor(property_id=prop.id, slug="f1", level=1)
    type_ = RoomType(property_id=prop.id, code="std", name="Standard", max_guests=2, rank=0)
    plan = RatePlan(property_id=prop.id, code="flex", name="Flexible")
    session.add_all([floor, type_, plan])
    session.flush()
    today = local_today(utcnow(), zone)
    for slug, number, arrival in (("101", 101, today - timedelta(days=2)), ("102", 102, today)):
        room = rooms_inventory.add_room(session, prop, floor=floor, type_=type_, slug=slug, number=number)
        session.flush()
        res = Reservation(
            id=new_id()[:26], property_id=prop.id, status="booked", guest_name=GUEST, adults=1,
            room_type_id=type_.id, inventory_type_id=type_.id, rate_plan_id=plan.id, arrival=arrival,
            departure=arrival + timedelta(days=2), currency="EUR", total_minor=20000,
            deposit_required_minor=0, checkout_due_at=utcnow() + timedelta(days=2), created_at=utcnow())
        session.add(res)
        session.flush()
        session.add(RoomAllocation(room_id=room.id, reservation_id=res.id, kind="stay",
                                   start_night=res.arrival, end_night=res.departure))
