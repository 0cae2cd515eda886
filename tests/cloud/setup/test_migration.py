"""The set-up migration on both databases: down and up again, and the retired-room trigger."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog.models import Room
from cloud.core.migrate import alembic_config
from cloud.core.nights import Stay
from cloud.reservations.errors import RoomUnavailable
from cloud.reservations.sales import allocation, booking
from cloud.reservations.sales.booking import Booking
from cloud.setup import service
from tests.cloud.setup.conftest import NOW, SITE

pytestmark = pytest.mark.slow  # seconds a test: in the full suite, not the fast lane


def test_the_migration_goes_down_and_up_again(engine: Engine) -> None:
    config = alembic_config(engine)
    command.downgrade(config, "booking_speed_0002")  # below the set-up, with what was built on it
    command.upgrade(config, "heads")
    sessions = sessionmaker(engine)
    with sessions() as s:
        assert s.scalars(select(Room)).all() == []


def test_the_database_refuses_a_stay_in_a_retired_room_after_its_retirement(
    hotel: sessionmaker[Session],
) -> None:
    with hotel.begin() as s:
        room = s.scalars(select(Room).where(Room.slug == "120")).one()
        room.retired_from = date(2027, 4, 1)
        room_id = room.id
    with hotel.begin() as s:
        allocation.allocate(
            s,
            room_id=room_id,
            stay=Stay(date(2027, 3, 28), date(2027, 4, 1)),
            reservation_id=None,
            kind="out_of_order",
        )  # a period may still be put on it
        with pytest.raises(RoomUnavailable):
            allocation.allocate(
                s,
                room_id=room_id,
                stay=Stay(date(2027, 3, 30), date(2027, 4, 2)),
                reservation_id=_a_reservation(s),
                kind="stay",
            )


def _a_reservation(session: Session) -> str:
    res = booking.book(
        session,
        Booking(
            property=SITE,
            room_type="sgl",
            rate_plan="bar",
            arrival=date(2027, 5, 20),
            departure=date(2027, 5, 21),
            guest_name="Ana",
        ),
        now=NOW,
    )
    return res.id


def test_export_reads_what_the_migration_added(hotel: sessionmaker[Session]) -> None:
    with hotel() as s:
        doc = service.export(s, SITE, now=NOW)
    assert doc.property.tax_ids == ("RFC CAH010101AB1",) and doc.rate_plans[0].meals in ("none", "breakfast")
    assert {a.kind for a in doc.areas} == {"lift_floor", "gym", "pool"} and len(doc.restrictions) == 4
