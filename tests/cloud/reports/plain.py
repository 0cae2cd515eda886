"""The reports' figures computed again, plainly: every row read as it is, summed in Python loops.

Written from docs/reports.md alone, sharing no code with ``cloud.reports``, so that the two
agree only if both follow the definitions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session


def rows(session: Session, sql: str) -> list[Any]:
    return list(session.execute(text(sql)).all())


def instant(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def day_of(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def month(night: date) -> str:
    return f"{night.year}-{night.month:02d}"


def half_up(amount: int, count: int) -> int | None:
    if count == 0:
        return None
    sign = -1 if amount < 0 else 1
    return sign * ((2 * abs(amount) + count) // (2 * count))


@dataclass
class Tables:
    """Every row the reports read, for one property."""

    prop: Any
    zone: ZoneInfo
    setting: str
    usage: dict[int, str]
    rooms: list[Any]
    out_of_order: list[Any]
    reservations: dict[str, Any]
    nights: list[Any]
    stays: dict[str, list[Any]] = field(default_factory=dict)
    room_type: dict[int, int] = field(default_factory=dict)
    folios: dict[str, Any] = field(default_factory=dict)
    charges: list[Any] = field(default_factory=list)
    payments: list[Any] = field(default_factory=list)


def load(session: Session, site: str) -> Tables:
    prop = next(p for p in rows(session, "SELECT * FROM properties") if p.slug == site)
    setting = next((r.out_of_order for r in rows(session, "SELECT * FROM reports_settings")
                    if r.property_id == prop.id), "available")
    usage = {r.rate_plan_id: r.usage for r in rows(session, "SELECT * FROM reports_rate_plans")}
    rooms = [r for r in rows(session, "SELECT * FROM rooms") if r.property_id == prop.id]
    ids = {r.id for r in rooms}
    allocations = [a for a in rows(session, "SELECT * FROM room_allocations") if a.room_id in ids]
    reservations = {r.id: r for r in rows(session, "SELECT * FROM reservations") if r.property_id == prop.id}
    tables = Tables(prop, ZoneInfo(prop.timezone), setting, usage, rooms,
                    [a for a in allocations if a.kind == "out_of_order"], reservations,
                    [n for n in rows(session, "SELECT * FROM reservation_nights")
                     if n.reservation_id in reservations])
    for a in allocations:
        if a.kind == "stay":
            tables.stays.setdefault(a.reservation_id, []).append(a)
    tables.room_type = {r.id: r.room_type_id for r in rooms}
    tables.folios = {f.id: f for f in rows(session, "SELECT * FROM billing_folios") if f.site == site}
    mine = tables.folios
    tables.charges = [c for c in rows(session, "SELECT * FROM billing_charges") if c.origin_folio_id in mine]
    tables.payments = [p for p in rows(session, "SELECT * FROM billing_payments") if p.folio_id in mine]
    return tables


def type_of_night(t: Tables, reservation_id: str, night: date) -> int:
    for a in t.stays.get(reservation_id, []):
        if day_of(a.start_night) <= night < day_of(a.end_night):
            return t.room_type[a.room_id]
    return int(t.reservations[reservation_id].inventory_type_id)


@dataclass
class Month:
    available: int = 0
    out_of_order: int = 0
    sold: int = 0
    complimentary: int = 0
    house_use: int = 0
    on_the_books: int = 0
    room_net: int = 0
    room_gross: int = 0
    payments: int = 0
    refunds: int = 0
    departments: dict[str, int] = field(default_factory=dict)


DEPARTMENT = {"room_night": "rooms", "late_checkout": "other_rooms", "cancellation": "other_rooms",
              "no_show": "other_rooms", "restaurant": "food_beverage", "minibar": "food_beverage",
              "laundry": "services", "spa": "services", "transport": "services"}


def monthly(t: Tables, start: date, end: date, *, by_type: bool = False) -> dict[tuple[str, str], Month]:
    """(month, room type id or "all") -> sums, for nights [start, end)."""
    out: dict[tuple[str, str], Month] = defaultdict(Month)
    night = start
    while night < end:
        for room in t.rooms:
            if room.retired_from is None or night < day_of(room.retired_from):
                out[(month(night), str(room.room_type_id) if by_type else "all")].available += 1
        for a in t.out_of_order:
            if day_of(a.start_night) <= night < day_of(a.end_night):
                m = out[(month(night), str(t.room_type[a.room_id]) if by_type else "all")]
                m.out_of_order += 1
                if t.setting == "excluded":
                    m.available -= 1
        night += timedelta(days=1)
    for n in t.nights:
        night, r = day_of(n.night), t.reservations[n.reservation_id]
        if not start <= night < end or r.status not in ("booked", "checked_in", "checked_out"):
            continue
        m = out[(month(night), str(type_of_night(t, r.id, night)) if by_type else "all")]
        house = t.usage.get(r.rate_plan_id) == "house_use"
        realised = r.status in ("checked_in", "checked_out")
        m.on_the_books += 0 if house else 1
        m.house_use += 1 if house and realised else 0
        if realised and not house:
            m.sold += 1
            if n.amount_minor == 0 or t.usage.get(r.rate_plan_id) == "complimentary":
                m.complimentary += 1
    for c in t.charges:
        folio = t.folios[c.origin_folio_id]
        if c.kind == "room_night":
            night = day_of(c.night)
            if start <= night < end and folio.reservation_id is not None:
                kind = str(type_of_night(t, folio.reservation_id, night)) if by_type else "all"
                m = out[(month(night), kind)]
                m.room_net += c.net_minor
                m.room_gross += c.gross_minor
                m.departments["rooms"] = m.departments.get("rooms", 0) + c.net_minor
        elif not by_type:
            posted = instant(c.posted_at).astimezone(t.zone).date()
            if start <= posted < end:
                dept = DEPARTMENT.get(c.kind, "other")
                m = out[(month(posted), "all")]
                m.departments[dept] = m.departments.get(dept, 0) + c.net_minor
    if not by_type:
        for p in t.payments:
            made = instant(p.created_at).astimezone(t.zone).date()
            if p.status == "succeeded" and start <= made < end:
                m = out[(month(made), "all")]
                if p.direction == "refund":
                    m.refunds += p.amount_minor
                else:
                    m.payments += p.amount_minor
    return dict(out)


def cancellations(t: Tables, start: date, end: date) -> dict[str, tuple[int, int, int]]:
    """month of arrival -> (reservations, cancelled, no-shows)."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in t.reservations.values():
        arrival = day_of(r.arrival)
        if start <= arrival < end:
            counts = out[month(arrival)]
            counts[0] += 1
            counts[1] += r.status == "cancelled"
            counts[2] += r.status == "no_show"
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def on_the_books(t: Tables, night: date, at: datetime) -> int:
    count = 0
    for n in t.nights:
        r = t.reservations[n.reservation_id]
        if day_of(n.night) != night or t.usage.get(r.rate_plan_id) == "house_use":
            continue
        if instant(r.created_at) <= at and (r.cancelled_at is None or instant(r.cancelled_at) > at):
            count += 1
    return count
