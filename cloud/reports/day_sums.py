"""Per-day sums of reservation nights, folio lines and payments on PostgreSQL (migration
reports_0003), the same nights and room-night lines split by every report dimension (migration
reports_0006, docs/reports.md#dimension-sums), and their folding.

The triggers append one row per (site, kind, day) and posting statement; reading them is exact at
any moment (they commit with the lines). Folding replaces the appended rows by one row per key, in
one statement, so a report reads a few rows a day instead of every line; run now and then by
``DayFolder`` and harmless at any time (two folds at once wait for each other's rows).

The dimension sums are not written by the writers: they leave marks on the reservations they touched
(reports_0007) and ``refresh_marked`` folds those into the sums, every second (``DimFolder``)
and, committed on a connection of its own, before a report reads them (``settle``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Engine, and_, func, literal, or_, select, text
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog.models import Property
from cloud.core.periodic import Periodic
from cloud.reports.dimensions import Dimension
from cloud.reports.models import ChargeDay, DimSum, NightSum, PaymentDay, RatePlanUsage
from cloud.reservations.models import OCCUPYING

FOLD = {
    "reports_night_sums": (
        "WITH gone AS (DELETE FROM reports_night_sums WHERE NOT folded "
        "RETURNING property_id, night, status, rate_plan_id, zero, nights, amount_minor) "
        "INSERT INTO reports_night_sums (property_id, night, status, rate_plan_id, zero, folded, nights, "
        "amount_minor) SELECT property_id, night, status, rate_plan_id, zero, true, sum(nights), "
        "sum(amount_minor) FROM gone GROUP BY property_id, night, status, rate_plan_id, zero "
        "ORDER BY property_id, night, status, rate_plan_id, zero "
        "ON CONFLICT (property_id, night, status, rate_plan_id, zero) WHERE folded DO UPDATE SET "
        "nights = reports_night_sums.nights + excluded.nights, "
        "amount_minor = reports_night_sums.amount_minor + excluded.amount_minor"),
    "reports_charge_days": (
        "WITH gone AS (DELETE FROM reports_charge_days WHERE NOT folded "
        "RETURNING site, kind, day, zone, net_minor, gross_minor) "
        "INSERT INTO reports_charge_days (site, kind, day, zone, folded, net_minor, gross_minor) "
        "SELECT site, kind, day, zone, true, sum(net_minor), sum(gross_minor) FROM gone "
        "GROUP BY site, kind, day, zone ORDER BY site, kind, day, zone "
        "ON CONFLICT (site, kind, day, zone) WHERE folded DO UPDATE SET "
        "net_minor = reports_charge_days.net_minor + excluded.net_minor, "
        "gross_minor = reports_charge_days.gross_minor + excluded.gross_minor"),
    "reports_payment_days": (
        "WITH gone AS (DELETE FROM reports_payment_days WHERE NOT folded "
        "RETURNING site, direction, day, zone, amount_minor) "
        "INSERT INTO reports_payment_days (site, direction, day, zone, folded, amount_minor) "
        "SELECT site, direction, day, zone, true, sum(amount_minor) FROM gone "
        "GROUP BY site, direction, day, zone ORDER BY site, direction, day, zone "
        "ON CONFLICT (site, direction, day, zone) WHERE folded DO UPDATE SET "
        "amount_minor = reports_payment_days.amount_minor + excluded.amount_minor"),
    "reports_dim_sums": (
        "WITH gone AS (DELETE FROM reports_dim_sums WHERE NOT folded "
        "RETURNING property_id, night, dim, value, status, rate_plan_id, zero, nights, amount_minor, "
        "room_lines, room_net, room_gross) "
        "INSERT INTO reports_dim_sums (property_id, night, dim, value, status, rate_plan_id, zero, folded, "
        "nights, amount_minor, room_lines, room_net, room_gross) "
        "SELECT property_id, night, dim, value, status, rate_plan_id, zero, true, sum(nights), "
        "sum(amount_minor), sum(room_lines), sum(room_net), sum(room_gross) FROM gone "
        "GROUP BY property_id, night, dim, value, status, rate_plan_id, zero "
        "ORDER BY property_id, night, dim, value, status, rate_plan_id, zero "
        "ON CONFLICT (property_id, night, dim, value, status, rate_plan_id, zero) WHERE folded DO UPDATE SET "
        "nights = reports_dim_sums.nights + excluded.nights, "
        "amount_minor = reports_dim_sums.amount_minor + excluded.amount_minor, "
        "room_lines = reports_dim_sums.room_lines + excluded.room_lines, "
        "room_net = reports_dim_sums.room_net + excluded.room_net, "
        "room_gross = reports_dim_sums.room_gross + excluded.room_gross"),
}
# keys whose rows came to nothing (a stay moved to another room type, a guest's tier changed) go
EMPTIED = ("DELETE FROM reports_dim_sums WHERE folded AND nights = 0 AND amount_minor = 0 AND room_lines = 0 "
           "AND room_net = 0 AND room_gross = 0")


def kept(session: Session) -> bool:
    """Whether this database keeps the sums (PostgreSQL; SQLite reports read the lines)."""
    return session.get_bind().dialect.name == "postgresql"


def refresh_marked(session: Session) -> int:
    """Fold the reservations marked by the writes committed so far into the dimension sums, one fold
    at a time (the next waits for this one's commit); the number of reservations refreshed. The
    marks of writes still running, and of writes committed while this runs, stay for the next."""
    if not kept(session):
        return 0
    return int(session.execute(text("SELECT reports_dims_fold()")).scalar_one())


def settle(session: Session) -> int:
    """Before a report reads the dimension sums: fold what is marked and commit it, on a connection
    of its own (the report's reads each have theirs), so the sums hold every write committed before
    the report started. Within the session's own transaction when it is bound to one connection."""
    if not kept(session):
        return 0
    bind = session.get_bind()
    if not isinstance(bind, Engine):
        return refresh_marked(session)
    with Session(bind=bind) as own, own.begin():
        return refresh_marked(own)


def fold(session: Session) -> int:
    """Fold the marked reservations into the dimension sums (``refresh_marked``), then the appended
    rows into one per key; the number of keys written."""
    if not kept(session):
        return 0
    refresh_marked(session)
    written = 0
    for sql in FOLD.values():
        result: Any = session.execute(text(sql))
        written += int(result.rowcount or 0)
    session.execute(text(EMPTIED))
    return written


def zones(session: Session, sites: Sequence[str]) -> dict[str, set[str]]:
    """The zones each site's local dates were taken in (a site whose zone changed reads its lines)."""
    found: dict[str, set[str]] = {s: set() for s in sites}
    for model in (ChargeDay, PaymentDay):
        statement = (select(model.site, model.zone)
                     .where(model.site.in_(list(sites)), model.zone != "").distinct())
        for site, zone in session.execute(statement):
            found[site].add(zone)
    return found


def night_groups(session: Session, ids: Sequence[int], *, start: date, end: date) -> list[Any]:
    """(property, night, "all", status, plan, priced 0, nights, amount), as ``queries.night_counts``
    groups them, from the sums (keys whose nights came to 0 are left out)."""
    statement = (
        select(NightSum.property_id, NightSum.night, literal("all"), NightSum.status, NightSum.rate_plan_id,
               NightSum.zero, func.sum(NightSum.nights), func.sum(NightSum.amount_minor))
        .where(NightSum.property_id.in_(list(ids)), NightSum.night >= start, NightSum.night < end,
               NightSum.status.in_(OCCUPYING))
        .group_by(NightSum.property_id, NightSum.night, NightSum.status, NightSum.rate_plan_id, NightSum.zero)
        .having(func.sum(NightSum.nights) != 0))
    return list(session.execute(statement))


def folio_lines(session: Session, sites: Sequence[str], *, start: date, end: date) -> list[Any]:
    """(site, kind, day, net, gross), as ``queries.folio_lines`` gives them, from the sums."""
    room = ChargeDay.kind == "room_night"
    statement = (
        select(ChargeDay.site, ChargeDay.kind, ChargeDay.day, func.sum(ChargeDay.net_minor),
               func.sum(ChargeDay.gross_minor))
        .where(ChargeDay.site.in_(list(sites)), ChargeDay.day >= start, ChargeDay.day < end,
               or_(room, and_(~room, ChargeDay.zone != "")))
        .group_by(ChargeDay.site, ChargeDay.kind, ChargeDay.day))
    return list(session.execute(statement))


def money_moved(session: Session, sites: Sequence[str], *, start: date, end: date) -> list[Any]:
    """(site, direction, day, amount), as ``queries.money_moved`` gives them, from the sums."""
    statement = (
        select(PaymentDay.site, PaymentDay.direction, PaymentDay.day, func.sum(PaymentDay.amount_minor))
        .where(PaymentDay.site.in_(list(sites)), PaymentDay.day >= start, PaymentDay.day < end)
        .group_by(PaymentDay.site, PaymentDay.direction, PaymentDay.day))
    return list(session.execute(statement))


# the split each dimension reads: rate plan and country read the undivided one (the plan is in the
# key; the country is the property's)
SPLIT = {Dimension.ROOM_TYPE: "room_type", Dimension.CHANNEL: "channel", Dimension.SEGMENT: "segment",
         Dimension.TIER: "tier", Dimension.RATE_PLAN: "none", Dimension.COUNTRY: "none"}


def _values(session: Session, ids: Sequence[int], dim: Dimension) -> Any:
    """(property, plan, stored value) -> the dimension's value, as ``dimensions.expression`` gives it."""
    if dim is Dimension.RATE_PLAN:
        return lambda _prop, plan, _value: plan
    if dim is Dimension.COUNTRY:
        country = dict(session.execute(
            select(Property.id, Property.country).where(Property.id.in_(list(ids)))).all())
        return lambda prop, _plan, _value: country[prop]
    if dim is Dimension.SEGMENT:  # the plan's own segment, else group or transient as stored
        segments = {plan: seg for plan, seg in session.execute(
            select(RatePlanUsage.rate_plan_id, RatePlanUsage.segment)) if seg}
        return lambda _prop, plan, value: segments.get(plan, value)
    if dim is Dimension.ROOM_TYPE:
        return lambda _prop, _plan, value: int(value)
    return lambda _prop, _plan, value: value


def dim_night_groups(session: Session, ids: Sequence[int], *, start: date, end: date,
                     dim: Dimension) -> list[Any]:
    """(property, night, value, status, plan, priced 0, nights, amount), as ``queries.night_counts``
    groups them for ``dim``, from the dimension sums (keys whose nights came to 0 are left out)."""
    value_of = _values(session, ids, dim)
    statement = (
        select(DimSum.property_id, DimSum.night, DimSum.value, DimSum.status, DimSum.rate_plan_id,
               DimSum.zero, func.sum(DimSum.nights), func.sum(DimSum.amount_minor))
        .where(DimSum.property_id.in_(list(ids)), DimSum.dim == SPLIT[dim], DimSum.night >= start,
               DimSum.night < end, DimSum.status.in_(OCCUPYING))
        .group_by(DimSum.property_id, DimSum.night, DimSum.value, DimSum.status, DimSum.rate_plan_id,
                  DimSum.zero)
        .having(func.sum(DimSum.nights) != 0))
    return [(prop, night, value_of(prop, plan, value), status, plan, zero, nights, amount)
            for prop, night, value, status, plan, zero, nights, amount in session.execute(statement)]


def dim_room_revenue(session: Session, ids: Sequence[int], *, start: date, end: date,
                     dim: Dimension) -> list[Any]:
    """(property, night, value, net, gross) of the room-night lines, as ``queries.room_revenue`` gives
    them for ``dim`` (one row per plan: the caller adds them up), from the dimension sums."""
    value_of = _values(session, ids, dim)
    statement = (
        select(DimSum.property_id, DimSum.night, DimSum.value, DimSum.rate_plan_id,
               func.sum(DimSum.room_net), func.sum(DimSum.room_gross))
        .where(DimSum.property_id.in_(list(ids)), DimSum.dim == SPLIT[dim], DimSum.night >= start,
               DimSum.night < end)
        .group_by(DimSum.property_id, DimSum.night, DimSum.value, DimSum.rate_plan_id)
        .having(func.sum(DimSum.room_lines) != 0))
    return [(prop, night, value_of(prop, plan, value), net, gross)
            for prop, night, value, plan, net, gross in session.execute(statement)]


class DayFolder:
    """Folds the day sums every ``interval_s`` (a worker of the app, on PostgreSQL)."""

    def __init__(self, sessions: sessionmaker[Session], *, interval_s: float = 60.0) -> None:
        self.sessions = sessions
        self._periodic = Periodic(self.run_once, interval_s=interval_s, name="reports-day-sums",
                                  done="folded %d day sums")

    def run_once(self) -> int:
        with self.sessions.begin() as session:
            return fold(session)

    def start(self) -> None:
        self._periodic.start()

    def stop(self) -> None:
        self._periodic.stop()


class DimFolder:
    """Folds the reservations the writers marked into the dimension sums every ``interval_s`` (a
    worker of the app, on PostgreSQL), so a report's own fold finds little left."""

    def __init__(self, sessions: sessionmaker[Session], *, interval_s: float = 1.0) -> None:
        self.sessions = sessions
        self._periodic = Periodic(self.run_once, interval_s=interval_s, name="reports-dim-marks",
                                  done="refreshed %d marked reservations")

    def run_once(self) -> int:
        with self.sessions.begin() as session:
            return refresh_marked(session)

    def start(self) -> None:
        self._periodic.start()

    def stop(self) -> None:
        self._periodic.stop()
