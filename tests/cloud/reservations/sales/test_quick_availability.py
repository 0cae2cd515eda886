"""Availability from the catalog in memory and one statement gives the ORM read's answer, on
both databases, through restrictions, a retired room, sold nights and a catalog change."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog import service as catalog
from cloud.catalog.models import RatePlan, Restriction, Room, RoomType
from cloud.core.fast_reads import FastReads
from cloud.core.nights import Stay
from cloud.reservations.sales import booking, queries, quick_availability, sellable
from cloud.reservations.sales.booking import Booking
from cloud.reservations.sales.sellable import SellableCache
from cloud.reservations.schemas import QuoteOut
from tests.cloud.reservations.conftest import NOW

MON = date(2027, 3, 8)
STAYS = [Stay(MON, MON + timedelta(days=n)) for n in (1, 2, 5)] + [
    Stay(MON + timedelta(days=1), MON + timedelta(days=3)),
    Stay(MON + timedelta(days=20), MON + timedelta(days=22))]
ASKS = [(guests, type_) for guests in (1, 3, 4) for type_ in (None, "std", "sup")]


def _orm(sessions: sessionmaker[Session], stay: Stay, guests: int, type_: str | None) -> list[Any]:
    with sessions() as session:
        prop = catalog.get_property(session, "hotel")
        found = queries.availability(session, prop, stay=stay, guests=guests, room_type=type_)
        return [QuoteOut.of(o).model_dump(mode="json") for o in found]


def _quick(engine: Engine, cache: SellableCache, sessions: sessionmaker[Session]) -> list[list[Any]]:
    async def run() -> list[list[Any]]:
        reads = FastReads(engine)
        await reads.open()  # PostgreSQL: the async pool; SQLite: the engine on a worker thread
        try:
            return [orjson.loads(orjson.dumps(await quick_availability.search(
                reads, cache, sessions, "hotel", stay=stay, guests=guests, room_type=type_)))
                for stay in STAYS for guests, type_ in ASKS]
        finally:
            await reads.close()

    # On a thread of its own: an event loop another test left running on this one must not matter.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def _expected(sessions: sessionmaker[Session]) -> list[list[Any]]:
    return [_orm(sessions, stay, guests, type_) for stay in STAYS for guests, type_ in ASKS]


def _book(session: Session, type_: str, arrival: date, nights: int) -> None:
    booking.book(session, Booking(property="hotel", room_type=type_, rate_plan="flex", arrival=arrival,
                                  departure=arrival + timedelta(days=nights), guest_name="Ana Ruiz"), now=NOW)


def test_quick_availability_answers_as_the_orm_read(engine: Engine, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        prop = catalog.get_property(session, "hotel")
        types = {t.code: t for t in session.scalars(select(RoomType).where(RoomType.property_id == prop.id))}
        flex = session.scalar(
            select(RatePlan).where(RatePlan.property_id == prop.id, RatePlan.code == "flex"))
        assert flex is not None
        for _ in range(3):
            _book(session, "std", MON, 2)
        for _ in range(4):
            _book(session, "sup", MON + timedelta(days=1), 3)
        session.add_all([
            Restriction(property_id=prop.id, room_type_id=types["sup"].id, start=MON + timedelta(days=1),
                        end=MON + timedelta(days=2), stop_sell=True),
            Restriction(property_id=prop.id, rate_plan_id=flex.id, start=MON, end=MON + timedelta(days=1),
                        min_stay=3),
            Restriction(property_id=prop.id, start=MON + timedelta(days=20), end=MON + timedelta(days=21),
                        closed_to_arrival=True),
        ])
        ste = session.scalars(select(Room).where(Room.room_type_id == types["ste"].id)).first()
        assert ste is not None
        ste.retired_from = MON + timedelta(days=10)
    cache = SellableCache()
    expected = _expected(sessions)
    assert any(q["unavailable"] for answer in expected for q in answer), "no restriction was shown"
    assert _quick(engine, cache, sessions) == expected

    with sessions.begin() as session:  # a catalog change is seen on the next request
        prop = catalog.get_property(session, "hotel")
        session.add(Restriction(property_id=prop.id, start=MON, end=MON + timedelta(days=30), stop_sell=True))
    changed = _expected(sessions)
    assert changed != expected
    assert _quick(engine, cache, sessions) == changed


def test_a_stays_prices_are_kept_with_their_catalog_copy_only(sessions: sessionmaker[Session]) -> None:
    """A stay is priced once per catalog copy; another copy with the same property and stamp (another
    database's, say) prices it afresh."""
    with sessions() as session:
        copy = sellable.load(session, "hotel", stamp=sellable.read_stamp(session))
    stay = STAYS[1]
    first = quick_availability.offers(copy, {}, stay=stay, guests=1, room_type=None)
    assert first and quick_availability.offers(copy, {}, stay=stay, guests=1, room_type=None) == first
    assert ("priced", stay.arrival, stay.departure) in copy.derived
    doubled = {key: tuple(replace(rule, amount_minor=2 * rule.amount_minor) for rule in rules)
               for key, rules in copy.rules.items()}
    other = replace(copy, rules=doubled)
    assert not other.derived
    again = quick_availability.offers(other, {}, stay=stay, guests=1, room_type=None)
    assert [o["total_minor"] for o in again] == [2 * o["total_minor"] for o in first]
    assert [o["rooms_left"] for o in again] == [o["rooms_left"] for o in first]
    assert quick_availability.offers(copy, {}, stay=stay, guests=1, room_type="sup") == [
        o for o in first if o["room_type"] == "sup"]
