"""Reports at scale on PostgreSQL: a year of 1,000 rooms and 50,000 reservations.

The rows are written in bulk (reservations, their nights and rooms, folios, room-night and extra
lines, payments) as the desk and billing would have left them; what is timed is the reports.
Each figure is printed beside a same-run reference: a bare ``count(*)`` and a bare
``GROUP BY night`` over the same nights table, and the CPU time of a fixed Python loop
(``reference_seconds``). Not timed pass/fail (the machine is shared). A second test times what the
reports' triggers cost a write (with all of them, with the day sums' only, with none).
Run: ``./dev.sh bench -k reports``.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.models import Charge, Folio, Payment
from cloud.catalog import service as catalog
from cloud.catalog.models import Floor, RatePlan, Room, RoomType
from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import upgrade
from cloud.reports import day_sums
from cloud.reports.bookings import bookings
from cloud.reports.definitions import Grain
from cloud.reports.dimensions import Dimension
from cloud.reports.pickup import pickup
from cloud.reports.pnl import pnl
from cloud.reports.service import Query, kpis
from cloud.reservations.models import Reservation, ReservationNight, RoomAllocation
from tests.bench.raw_mqtt import reference_seconds
from tests.support.pg import fresh_database

pytestmark = [pytest.mark.bench, pytest.mark.timeout(3600)]  # the load runs every trigger row by row
START, END = date(2027, 1, 1), date(2028, 1, 1)
RESERVATIONS = 50_000
TYPES = (("std", 600, 9000), ("sup", 300, 13000), ("ste", 100, 24000))
AS_OF = datetime(2027, 10, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def loaded() -> Iterator[sessionmaker[Session]]:
    with fresh_database("posada_reports_bench") as url:
        engine = make_engine(url, pool_size=5)
        upgrade(engine)
        sessions: sessionmaker[Session] = make_sessionmaker(engine)
        started = time.perf_counter()
        with sessions.begin() as s:
            rooms = _hotel(s)
        counts = _load(engine, rooms)
        loaded_s = time.perf_counter() - started
        with sessions.begin() as s:  # what the app's folders do every second and every minute
            day_sums.fold(s)
        print(f"\nwritten in {loaded_s:.1f} s, folded in {time.perf_counter() - started - loaded_s:.1f} s")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))  # as autovacuum would have, after the load and the fold
        print(f"\nloaded 1,000 rooms, {counts} in {time.perf_counter() - started:.1f} s")
        yield sessions
        engine.dispose()


def _hotel(s: Session) -> list[tuple[int, int, int]]:
    prop = catalog.create_property(s, slug="big", number=9, name="Big", timezone="Europe/Madrid",
                                   currency="EUR")
    floors = [Floor(property_id=prop.id, slug=f"f{n}", level=n) for n in range(1, 11)]
    s.add_all(floors)
    s.add(RatePlan(property_id=prop.id, code="flex", name="Flexible"))
    s.flush()
    rows, number = [], 0
    for code, count, _ in TYPES:
        type_ = RoomType(property_id=prop.id, code=code, name=code, max_guests=3)
        s.add(type_)
        s.flush()
        for _ in range(count):
            rows.append({"property_id": prop.id, "floor_id": floors[number // 100].id,
                         "room_type_id": type_.id, "slug": f"r{number}", "number": 1000 + number})
            number += 1
    s.execute(insert(Room), rows)
    plan = s.query(RatePlan).one()
    return [(r.id, r.room_type_id, plan.id) for r in s.query(Room).order_by(Room.id)]


def _load(engine: Engine, rooms: list[tuple[int, int, int]]) -> str:
    """Each room filled over the year; reservations before AS_OF are stayed, later ones booked."""
    rng = random.Random(18)
    prop_id = 1
    tables: dict[Any, list[dict[str, Any]]] = {m: [] for m in (Reservation, ReservationNight, RoomAllocation,
                                                                Folio, Charge, Payment)}
    per_room = RESERVATIONS // len(rooms)
    prices = {n: p for n, (_, _, p) in enumerate(TYPES)}
    for index, (room_id, type_id, plan_id) in enumerate(rooms):
        night = START + timedelta(days=rng.randrange(7))
        price = prices[0 if index < 600 else 1 if index < 900 else 2]
        for _ in range(per_room):
            nights = rng.randint(1, 6)
            arrival, departure = night, night + timedelta(days=nights)
            created = datetime.combine(arrival, datetime.min.time(), tzinfo=UTC) - timedelta(
                days=rng.randint(0, 120), hours=rng.randint(0, 23))
            status = ("cancelled" if rng.random() < 0.1 else "checked_out"
                      if arrival < AS_OF.date() else "booked")
            _stay(tables, rng, prop_id=prop_id, room=(room_id, type_id, plan_id), price=price, status=status,
                  arrival=arrival, departure=departure, created=created)
            night = departure + timedelta(days=rng.randint(0, 2))
    with engine.begin() as conn:  # one multi-row statement per chunk: the triggers run once per chunk
        for model, rows in tables.items():
            size = 30_000 // len(rows[0]) if rows else 1  # under the driver's 65,535 parameters
            for chunk in range(0, len(rows), size):
                conn.execute(insert(model).values(rows[chunk:chunk + size]))
    return ", ".join(f"{len(rows):,} {model.__tablename__}" for model, rows in tables.items())


def _stay(tables: dict[Any, list[dict[str, Any]]], rng: random.Random, *, prop_id: int,
          room: tuple[int, int, int], price: int, status: str, arrival: date, departure: date,
          created: datetime) -> None:
    room_id, type_id, plan_id = room
    rid = f"R{len(tables[Reservation]):025d}"
    nights = [arrival + timedelta(days=n) for n in range((departure - arrival).days)]
    tables[Reservation].append({
        "id": rid, "property_id": prop_id, "status": status, "guest_name_enc": "G", "adults": 1,
        "children": 0,
        "room_type_id": type_id, "inventory_type_id": type_id, "rate_plan_id": plan_id, "arrival": arrival,
        "departure": departure, "currency": "EUR", "total_minor": price * len(nights),
        "deposit_required_minor": 0, "checkout_due_at": created, "preferences": {}, "notes": "",
        "created_at": created,
        "cancelled_at": created + timedelta(days=1) if status == "cancelled" else None})
    tables[ReservationNight] += [{"reservation_id": rid, "night": n, "amount_minor": price} for n in nights]
    if status == "cancelled":
        return
    tables[RoomAllocation].append({"room_id": room_id, "reservation_id": rid, "kind": "stay",
                                   "start_night": arrival, "end_night": departure, "note": ""})
    folio = f"F{rid[1:]}"
    posted = datetime.combine(arrival, datetime.min.time(), tzinfo=UTC) + timedelta(hours=15)
    tables[Folio].append({"id": folio, "site": "big", "reservation_id": rid, "kind": "stay",
                          "currency": "EUR", "guest_name_enc": "G", "guest_language": "en", "status": "open",
                          "created_at": created, "routed_kinds": []})
    if status != "checked_out":
        return
    lines = [("room_night", n, price) for n in nights]
    lines += [("restaurant", None, rng.randint(500, 5000)) for _ in range(rng.randint(0, 2))]
    for kind, night, amount in lines:
        tax = amount // 11
        tables[Charge].append({
            "id": f"C{len(tables[Charge]):025d}", "folio_id": folio, "origin_folio_id": folio,
            "payer": "guest", "kind": kind, "description": "", "discount": False, "quantity": 1,
            "unit_minor": amount, "currency": "EUR", "net_minor": amount - tax, "tax_minor": tax,
            "gross_minor": amount, "taxes": {"IVA": tax}, "night": night, "posted_at": posted})
    tables[Payment].append({
        "id": f"P{rid[1:]}", "folio_id": folio, "payer": "guest", "direction": "payment", "method": "cash",
        "stage": "check_out", "amount_minor": sum(a for _, _, a in lines), "currency": "EUR",
        "status": "succeeded", "created_at": posted + timedelta(days=len(nights))})


def _median(action: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _split(s: Session, dim: Dimension) -> Callable[[], object]:
    return lambda: kpis(s, Query(sites=("big",), start=START, end=END, dimension=dim))


def test_reports_over_a_year_of_a_thousand_rooms(loaded: sessionmaker[Session]) -> None:
    year = Query(sites=("big",), start=START, end=END, grain=Grain.MONTH)
    with loaded() as s:
        reference_count = _median(lambda: s.execute(text("SELECT count(*) FROM reservation_nights")).scalar())
        reference_group = _median(lambda: s.execute(text(
            "SELECT night, count(*) FROM reservation_nights GROUP BY night")).all())
        figures = {
            "kpis by month": _median(lambda: kpis(s, year)),
            "kpis by day": _median(lambda: kpis(s, Query(sites=("big",), start=START, end=END,
                                                         grain=Grain.DAY))),
            **{f"kpis by {dim.value.replace('_', ' ')}": _median(_split(s, dim))
               for dim in Dimension if dim is not Dimension.NONE},
            "P&L, 12 months": _median(lambda: pnl(s, sites=("big",), start=START, end=END)),
            "bookings (lead time, stay)": _median(lambda: bookings(s, year)),
            "pickup and pace, 90 nights": _median(lambda: pickup(s, sites=["big"], now=AS_OF, nights=90)),
        }
        sold = sum(r.figures.sold for r in kpis(s, year).rows)
    burst = _burst(loaded)
    loop = reference_seconds()
    print(f"\nreports over 1,000 rooms, {RESERVATIONS:,} reservations, {sold:,} room nights sold "
          f"(median of 3, seconds; load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}; "
          f"reference loop {loop:.3f} s CPU)")
    print(f"  reference: SELECT count(*) FROM reservation_nights          {reference_count:.3f}")
    print(f"  reference: SELECT night, count(*) ... GROUP BY night         {reference_group:.3f}")
    for name, seconds in figures.items():
        print(f"  {name:<28} {seconds:.3f}  ({seconds / reference_group:.1f}x the GROUP BY)")
    for name, seconds in burst.items():
        print(f"  {name:<28} {seconds:.3f}  ({seconds / reference_group:.1f}x the GROUP BY)")
    assert sold > 100_000


def _burst(loaded: sessionmaker[Session]) -> dict[str, float]:
    """A burst of writes no worker has folded (one per transaction: status changes, room nights
    posted), then a split report, which folds them first: its time includes the fold."""
    engine = loaded.kw["bind"]
    figures: dict[str, float] = {}
    for count in (100, 1000):
        with engine.connect() as c:
            for k in range(count):
                rid = f"R{(k * 37 + count) % RESERVATIONS:025d}"
                c.execute(text(WRITES["status"]), {"r": rid})
                c.commit()
        with loaded() as s:
            started = time.perf_counter()
            kpis(s, Query(sites=("big",), start=START, end=END, dimension=Dimension.ROOM_TYPE))
            figures[f"by room type, {count} writes"] = time.perf_counter() - started
            figures[f"  then again, {count}"] = _median(_split(s, Dimension.ROOM_TYPE))
    return figures


WRITES = {
    "status": "UPDATE reservations SET status = CASE WHEN status = 'booked' THEN 'checked_in' "
              "ELSE 'booked' END WHERE id = :r",
    "line": "INSERT INTO billing_charges (id, folio_id, origin_folio_id, payer, kind, description_enc, "
            "discount, quantity, unit_minor, currency, net_minor, tax_minor, gross_minor, taxes, night, "
            "posted_at) VALUES (:i, :f, :f, 'guest', 'room_night', '', false, 1, 9000, 'EUR', 8182, 818, "
            "9000, '{}', '2027-03-10', now())",
    # a copy of an existing reservation under a new id, without nights
    "booking": "INSERT INTO reservations SELECT (jsonb_populate_record(r, jsonb_build_object("
               "'id', CAST(:i AS text), 'status', 'booked', 'arrival', '2027-04-01', "
               "'departure', '2027-04-04'))).* FROM reservations r WHERE r.id = :r",
}


def _writes(engine: Engine, tag: str, count: int) -> dict[str, list[float]]:
    """One write per transaction: a status change, a room-night line, a booking of three nights."""
    times: dict[str, list[float]] = {"status change": [], "room-night line posted": [],
                                     "booking, 3 nights": []}
    with engine.connect() as c:
        for k in range(count):
            rid = f"R{k:025d}"
            folio = c.execute(text("SELECT id FROM billing_folios WHERE reservation_id = :r"),
                              {"r": rid}).scalar()
            started = time.perf_counter()
            c.execute(text(WRITES["status"]), {"r": rid})
            c.commit()
            times["status change"].append(time.perf_counter() - started)
            if folio is not None:
                started = time.perf_counter()
                c.execute(text(WRITES["line"]), {"i": f"X{tag}{k:020d}", "f": folio})
                c.commit()
                times["room-night line posted"].append(time.perf_counter() - started)
            started, new = time.perf_counter(), f"N{tag}{k:020d}"
            c.execute(text(WRITES["booking"]), {"i": new, "r": rid})
            c.execute(insert(ReservationNight), [
                {"reservation_id": new, "night": date(2027, 4, 1) + timedelta(days=d), "amount_minor": 9000}
                for d in range(3)])
            c.commit()
            times["booking, 3 nights"].append(time.perf_counter() - started)
    return times


def _toggle(engine: Engine, on: bool, prefix: str = "reports_") -> None:
    with engine.begin() as c:
        for table, name in c.execute(text(
                "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname LIKE :p"),
                {"p": f"{prefix}%"}):
            c.execute(text(f"ALTER TABLE {table} {'ENABLE' if on else 'DISABLE'} TRIGGER {name}"))


def test_what_the_sums_cost_a_write() -> None:
    """Each write with every reports trigger, with the day sums' only (reports_0003) and with none."""
    from tests.cloud.reports import rows

    with fresh_database("posada_reports_writes") as url:
        engine = make_engine(url)
        sessions: sessionmaker[Session] = make_sessionmaker(engine)
        rng = random.Random(18)
        with sessions.begin() as s:
            rows.hotels(s, {"north": "EUR"})
            for n in range(400):
                rows.book(s, rng, n)
        print(f"\nwhat the reports' triggers cost a write (ms, p50 / p95 of 400; reference loop "
              f"{reference_seconds():.3f} s CPU)")
        for round_ in range(2):
            _toggle(engine, True)
            every = _writes(engine, f"a{round_}", 400)
            with sessions.begin() as s:  # what the writes left marked, folded as the worker or a report would
                started = time.perf_counter()
                refreshed = day_sums.refresh_marked(s)
            fold_s = time.perf_counter() - started
            _toggle(engine, False, "reports_dims")
            days = _writes(engine, f"b{round_}", 400)
            _toggle(engine, False)
            none = _writes(engine, f"c{round_}", 400)
            _toggle(engine, True)
            print(f"  round {round_ + 1}, load average {os.getloadavg()[0]:.1f}; the fold after the "
                  f"all-triggers writes: {refreshed} reservations in {fold_s * 1000:.0f} ms")
            for name in every:
                cells = [f"{statistics.median(t) * 1000:.2f} / {sorted(t)[int(len(t) * 0.95)] * 1000:.2f}"
                         for t in (every[name], days[name], none[name])]
                print(f"    {name:<24} all triggers {cells[0]:>13}   day sums only {cells[1]:>13}   "
                      f"none {cells[2]:>13}")
        engine.dispose()
