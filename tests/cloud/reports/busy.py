"""The generated year made busy: ordinary stays written in bulk into the rooms the services left free.

``year.py`` writes every kind of step through the desk's and billing's services, which costs about
a quarter of a second per stay here (about 37 statements, a card signed at check-in, the tax policy
read per line, the audit trail); a year at a real hotel's occupancy that way would take most of an
hour. So after it, this fills the free room nights with plain stays, written as those services
leave a stay that was booked, checked in and checked out (or cancelled) with nothing else
happening: the reservation, its nights, its room allocation (and SQLite's ``room_nights``), the
type's inventory count, a closed folio with its room nights and sometimes a dinner, the payment
at check-out. The reports and ``plain.py`` read these rows like any other; the unusual steps
(moves, early departures, allowances and refunds, no-shows, complimentary and house-use nights,
out-of-order rooms) stay the services'."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.models import Charge, Folio, Payment
from cloud.catalog.models import Property, RatePlan, Room, RoomType
from cloud.core.nights import Stay
from cloud.reservations.models import Reservation, ReservationNight, RoomAllocation, RoomNight, TypeInventory
from cloud.reservations.sales.inventory import ensure_rows
from tests.cloud.reports.year import SITE, TYPES, YEAR_END, YEAR_START, ZONE

FIRST = YEAR_START - timedelta(days=75)  # from the services' first bookings: the forecast learns from them


def local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZONE)


Tables = dict[Any, list[dict[str, Any]]]


def fill(maker: sessionmaker[Session], *, seed: int = 19, start_odds: float = 0.5) -> Counter[str]:
    """Fill the free room nights from the first bookings to the year's end (about two thirds end up
    sold); what was written, counted."""
    rng, written = random.Random(seed), Counter[str]()
    tables: Tables = {m: [] for m in (Reservation, ReservationNight, RoomAllocation, RoomNight, Folio, Charge,
                                      Payment)}
    with maker.begin() as s:
        first_id = (s.scalar(select(func.max(RoomAllocation.id))) or 0) + 1
        prop = s.scalar(select(Property).where(Property.slug == SITE))
        assert prop is not None
        plan = s.scalar(select(RatePlan.id).where(RatePlan.property_id == prop.id, RatePlan.code == "flex"))
        rooms = list(s.execute(select(Room.id, Room.room_type_id).where(Room.property_id == prop.id)
                               .order_by(Room.id)))
        busy: dict[int, set[date]] = defaultdict(set)
        for room_id, first, last in s.execute(select(RoomAllocation.room_id, RoomAllocation.start_night,
                                                     RoomAllocation.end_night)):
            busy[room_id].update(first + timedelta(days=k) for k in range((last - first).days))
        ids = dict(s.execute(select(RoomType.code, RoomType.id)
                             .where(RoomType.property_id == prop.id)).all())
        prices = {ids[code]: base for code, _, base in TYPES}
        sold: Counter[tuple[int, date]] = Counter()
        for room_id, type_id in rooms:
            night = FIRST
            while night < YEAR_END:
                length = rng.choice((1, 2, 2, 3, 3, 4, 5))
                nights = [night + timedelta(days=k) for k in range(length)]
                season = 1.3 if night.month in (6, 7, 8, 9) else 0.7 if night.month in (1, 2, 11) else 1.0
                if (nights[-1] < YEAR_END and not busy[room_id] & set(nights)
                        and rng.random() < start_odds * season):
                    _stay(tables, rng, written, prop=prop, plan=plan, room=(room_id, type_id),
                          price=prices[type_id], nights=nights, allocation=first_id + written["stays"])
                    sold.update((type_id, n) for n in nights)
                    night = nights[-1] + timedelta(days=1)
                else:
                    night += timedelta(days=1)
        for model, rows in tables.items():  # in the order the foreign keys need
            for chunk in range(0, len(rows), 5_000):
                s.execute(insert(model), rows[chunk:chunk + 5_000])
        for type_id in prices:  # the inventory counts, as booking keeps them
            ensure_rows(s, type_id=type_id, stay=Stay(FIRST, YEAR_END))
        for (type_id, night), count in sold.items():
            s.execute(update(TypeInventory).where(TypeInventory.room_type_id == type_id,
                                                  TypeInventory.night == night)
                      .values(sold=TypeInventory.sold + count))
    return written


def _stay(tables: Tables, rng: random.Random, written: Counter[str], *, prop: Any, plan: int | None,
          room: tuple[int, int], price: int, nights: list[date], allocation: int) -> None:
    """One plain stay (or, with the generator's odds, a booking cancelled before it came)."""
    n = written["reservations"]
    rid, arrival, departure = f"B{n:025d}", nights[0], nights[-1] + timedelta(days=1)
    lead = min(int(rng.expovariate(1 / 25)), 200)
    made = local(arrival, 12) - timedelta(days=lead, hours=rng.randrange(10))
    amounts = [price + (2345 if d.weekday() in (4, 5) else 0) for d in nights]
    cancels = rng.random() < 0.06 + (0.3 if lead > 30 else 0.0) and lead > 0
    tables[Reservation].append(dict(
        id=rid, property_id=prop.id, status="cancelled" if cancels else "checked_out", guest_name_enc="Guest",
        adults=1, children=0, room_type_id=room[1], inventory_type_id=room[1], rate_plan_id=plan,
        arrival=arrival, departure=departure, currency=prop.currency, total_minor=sum(amounts),
        deposit_required_minor=0, checkout_due_at=local(departure, 11), preferences={}, notes="",
        created_at=made, guest_language="en",
        cancelled_at=made + timedelta(days=rng.randrange(lead)) if cancels else None,
        checked_in_at=None if cancels else local(arrival, 16),
        checked_out_at=None if cancels else local(departure, 10)))
    tables[ReservationNight] += [{"reservation_id": rid, "night": d, "amount_minor": a}
                                 for d, a in zip(nights, amounts, strict=True)]
    written["reservations"] += 1
    if cancels:
        written["cancelled"] += 1
        return
    tables[RoomAllocation].append(dict(id=allocation, room_id=room[0], reservation_id=rid, kind="stay",
                                       start_night=arrival, end_night=departure, note=""))
    tables[RoomNight] += [{"room_id": room[0], "night": d, "allocation_id": allocation} for d in nights]
    _folio(tables, rng, rid, prop=prop, nights=nights, amounts=amounts)
    written["stays"] += 1
    written["nights"] += len(nights)


def _folio(tables: Tables, rng: random.Random, rid: str, *, prop: Any, nights: list[date],
           amounts: list[int]) -> None:
    """The stay's closed folio: room nights posted at check-in (tax included, 10 %), a dinner now and
    then, paid in full at check-out."""
    folio, arrival = f"F{rid[1:]}", nights[0]
    departure = nights[-1] + timedelta(days=1)
    tables[Folio].append(dict(
        id=folio, site=prop.slug, reservation_id=rid, kind="stay", currency=prop.currency,
        guest_name_enc="Guest", guest_language="en", status="closed", created_at=local(arrival, 16),
        routed_kinds=[], arrival_at=local(arrival, 16), departed_at=local(departure, 10)))
    lines = [("room_night", d, a, local(arrival, 16)) for d, a in zip(nights, amounts, strict=True)]
    if rng.random() < 0.3:
        lines.append(("restaurant", None, rng.randint(1500, 6000), local(arrival, 21)))
    tables[Charge] += [
        {"id": f"C{rid[1:]}{k:02d}", "folio_id": folio, "origin_folio_id": folio, "payer": "guest",
         "kind": kind, "description": kind, "discount": False, "quantity": 1, "unit_minor": gross,
         "currency": prop.currency, "net_minor": gross - gross // 11, "tax_minor": gross // 11,
         "gross_minor": gross, "taxes": {"lodging": gross // 11}, "night": night, "posted_at": posted}
        for k, (kind, night, gross, posted) in enumerate(lines)]
    tables[Payment].append(dict(
        id=f"P{rid[1:]}", folio_id=folio, payer="guest", direction="payment", method="cash",
        stage="check_out", amount_minor=sum(line[2] for line in lines), currency=prop.currency,
        status="succeeded", created_at=local(departure, 10)))
