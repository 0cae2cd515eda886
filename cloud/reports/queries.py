"""The SQL behind the reports: sums over the desk's and billing's tables, grouped in the database.

Every statement runs on PostgreSQL and SQLite alike; what differs (an hour of a timestamp) is
chosen by the session's dialect."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, func, literal, or_, select, type_coerce
from sqlalchemy.orm import Session

from cloud.billing.models import Charge, Folio, Payment
from cloud.catalog.models import Property, Room
from cloud.reports.availability import OutOfOrder, OutOfOrderRow, RoomRow
from cloud.reports.definitions import LEAD_BUCKETS, STAY_BUCKETS, bucket_label
from cloud.reports.dimensions import Dimension, expression, join
from cloud.reports.models import RatePlanUsage, ReportSettings
from cloud.reservations.models import OCCUPYING, Reservation, ReservationNight, RoomAllocation

REALISED = ("checked_in", "checked_out")


@dataclass(frozen=True, slots=True)
class PropertyRow:
    id: int
    slug: str
    currency: str
    timezone: str
    country: str
    out_of_order: OutOfOrder


def properties(session: Session, sites: Sequence[str]) -> list[PropertyRow]:
    rows = session.execute(
        select(Property.id, Property.slug, Property.currency, Property.timezone, Property.country,
               func.coalesce(ReportSettings.out_of_order, "available"))
        .outerjoin(ReportSettings, ReportSettings.property_id == Property.id)
        .where(Property.slug.in_(list(sites))).order_by(Property.slug))
    return [PropertyRow(i, s, c, tz, country, OutOfOrder(o)) for i, s, c, tz, country, o in rows]


def _house() -> ColumnElement[bool]:
    return func.coalesce(RatePlanUsage.usage, "sale") == "house_use"


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def night_counts(session: Session, ids: Sequence[int], *, start: date, end: date,
                 dim: Dimension) -> list[Any]:
    """(property, night, dim, sold, complimentary, house use, on the books, quoted on the books).

    The database groups the nights by status, rate plan and whether they are priced 0 (no join to
    the plans' usage row by row); what each group counts as is decided here from the plans' usage."""
    night = ReservationNight.night
    value = expression(dim, night)
    zero = ReservationNight.amount_minor == 0
    statement = (
        select(Reservation.property_id, night, value.label("dim"), Reservation.status,
               Reservation.rate_plan_id, zero, func.count(), func.sum(ReservationNight.amount_minor))
        .select_from(ReservationNight)
        .join(Reservation, Reservation.id == ReservationNight.reservation_id))
    if dim is Dimension.SEGMENT:
        statement = statement.outerjoin(RatePlanUsage, RatePlanUsage.rate_plan_id == Reservation.rate_plan_id)
    statement = join(statement, dim, night).where(
        Reservation.property_id.in_(list(ids)), Reservation.status.in_(OCCUPYING),
        night >= start, night < end).group_by(
            Reservation.property_id, night, value, Reservation.status, Reservation.rate_plan_id, zero)
    return classify(session, session.execute(statement))


def classify(session: Session, groups: Iterable[Any]) -> list[Any]:
    """Nights grouped by (property, night, dim, status, plan, priced 0) -> the rows of ``night_counts``."""
    usage = dict(session.execute(select(RatePlanUsage.rate_plan_id, RatePlanUsage.usage)).all())
    summed: dict[tuple[Any, Any, Any], list[int]] = {}
    for prop, when, val, status, plan, priced_zero, nights, amount in groups:
        count = int(nights)
        sums = summed.setdefault((prop, when, val), [0, 0, 0, 0, 0])
        use = usage.get(plan, "sale")
        if use == "house_use":
            sums[2] += count if status in REALISED else 0
            continue
        if status in REALISED:
            sums[0] += count
            sums[1] += count if priced_zero or use == "complimentary" else 0
        sums[3] += count
        sums[4] += int(amount or 0)
    return [(*key, *sums) for key, sums in summed.items()]


def room_revenue(session: Session, ids: Sequence[int], *, start: date, end: date,
                 dim: Dimension) -> list[Any]:
    """(property, night, dim, net, gross) of the room-night lines posted for the stays' nights."""
    night = Charge.night
    if dim is Dimension.NONE:  # the folio's property is enough: no reservation to read
        lines = (select(Property.id, night, literal("all"), func.sum(Charge.net_minor),
                        func.sum(Charge.gross_minor))
                 .select_from(Charge).join(Folio, Folio.id == Charge.origin_folio_id)
                 .join(Property, Property.slug == Folio.site)
                 .where(Property.id.in_(list(ids)), Folio.reservation_id.is_not(None),
                        Charge.kind == "room_night", night >= start, night < end)
                 .group_by(Property.id, night))
        return list(session.execute(lines))
    value = expression(dim, night)
    statement = (
        select(Reservation.property_id, night, value.label("dim"),
               func.sum(Charge.net_minor), func.sum(Charge.gross_minor))
        .select_from(Charge)
        .join(Folio, Folio.id == Charge.origin_folio_id)
        .join(Reservation, Reservation.id == Folio.reservation_id)
        .outerjoin(RatePlanUsage, RatePlanUsage.rate_plan_id == Reservation.rate_plan_id))
    statement = join(statement, dim, night).where(
        Reservation.property_id.in_(list(ids)), Charge.kind == "room_night",
        night >= start, night < end).group_by(Reservation.property_id, night, value)
    return list(session.execute(statement))


def _hour(session: Session, column: Any) -> ColumnElement[Any]:
    """On PostgreSQL the property's local date of a timestamp (exact in every zone); on SQLite,
    which knows no time zones, its UTC hour as text ``YYYY-MM-DD HH`` for ``service`` to place."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(Property.timezone, column))
    return func.substr(column, 1, 13)


def folio_lines(session: Session, sites: Sequence[str], *, start: date, end: date, since: datetime,
                until: datetime) -> list[Any]:
    """(site, kind, day, net, gross) of every line in one pass: room nights of the stays by their
    night in [start, end), the other lines by the day they were posted in [since, until) (see
    ``_hour`` for what "day" is on each database)."""
    room = Charge.kind == "room_night"
    # a date, or SQLite's hour text: read back as the driver gives it, ``service`` tells them apart
    day = type_coerce(case((room, Charge.night), else_=_hour(session, Charge.posted_at)), String)
    statement = (
        select(Folio.site, Charge.kind, day, func.sum(Charge.net_minor), func.sum(Charge.gross_minor))
        .select_from(Charge).join(Folio, Folio.id == Charge.origin_folio_id)
        .join(Property, Property.slug == Folio.site)
        .where(Folio.site.in_(list(sites)), or_(
            and_(room, Folio.reservation_id.is_not(None), Charge.night >= start, Charge.night < end),
            and_(~room, Charge.posted_at >= since, Charge.posted_at < until)))
        .group_by(Folio.site, Charge.kind, day))
    return list(session.execute(statement))


def other_revenue(session: Session, sites: Sequence[str], *, since: datetime, until: datetime) -> list[Any]:
    """(site, kind, UTC hour, net, gross) of every line but room nights, posted in [since, until)."""
    hour = _hour(session, Charge.posted_at)
    statement = (
        select(Folio.site, Charge.kind, hour, func.sum(Charge.net_minor), func.sum(Charge.gross_minor))
        .select_from(Charge).join(Folio, Folio.id == Charge.origin_folio_id)
        .join(Property, Property.slug == Folio.site)
        .where(Folio.site.in_(list(sites)), Charge.kind != "room_night",
               Charge.posted_at >= since, Charge.posted_at < until)
        .group_by(Folio.site, Charge.kind, hour))
    return list(session.execute(statement))


def money_moved(session: Session, sites: Sequence[str], *, since: datetime, until: datetime) -> list[Any]:
    """(site, direction, UTC hour, amount) of settled payments and refunds made in [since, until)."""
    hour = _hour(session, Payment.created_at)
    statement = (
        select(Folio.site, Payment.direction, hour, func.sum(Payment.amount_minor))
        .select_from(Payment).join(Folio, Folio.id == Payment.folio_id)
        .join(Property, Property.slug == Folio.site)
        .where(Folio.site.in_(list(sites)), Payment.status == "succeeded",
               Payment.created_at >= since, Payment.created_at < until)
        .group_by(Folio.site, Payment.direction, hour))
    return list(session.execute(statement))


def rooms(session: Session, ids: Sequence[int]) -> dict[int, list[RoomRow]]:
    found: dict[int, list[RoomRow]] = {i: [] for i in ids}
    statement = select(Room.property_id, Room.room_type_id, Room.retired_from).where(
        Room.property_id.in_(list(ids)))
    for prop, type_id, retired in session.execute(statement):
        found[prop].append(RoomRow(type_id, retired))
    return found


def out_of_order(session: Session, ids: Sequence[int], *, start: date,
                 end: date) -> dict[int, list[OutOfOrderRow]]:
    found: dict[int, list[OutOfOrderRow]] = {i: [] for i in ids}
    rows = session.execute(
        select(Room.property_id, Room.room_type_id, RoomAllocation.start_night, RoomAllocation.end_night)
        .join(Room, Room.id == RoomAllocation.room_id)
        .where(RoomAllocation.kind == "out_of_order", Room.property_id.in_(list(ids)),
               RoomAllocation.start_night < end, RoomAllocation.end_night > start))
    for prop, type_id, first, last in rows:
        found[prop].append(OutOfOrderRow(type_id, first, last))
    return found


def arrivals(session: Session, ids: Sequence[int], *, start: date, end: date, dim: Dimension) -> list[Any]:
    """One row per reservation arriving in [start, end): (property, arrival, departure, created,
    status, dim). The dimension is taken on the arrival night."""
    value = expression(dim, Reservation.arrival)
    statement = (
        select(Reservation.property_id, Reservation.arrival, Reservation.departure, Reservation.created_at,
               Reservation.status, value.label("dim"))
        .outerjoin(RatePlanUsage, RatePlanUsage.rate_plan_id == Reservation.rate_plan_id))
    statement = join(statement, dim, Reservation.arrival).where(
        Reservation.property_id.in_(list(ids)), Reservation.arrival >= start, Reservation.arrival < end)
    return list(session.execute(statement))


def _bucket(value: ColumnElement[Any], buckets: Sequence[tuple[int, int | None]]) -> ColumnElement[Any]:
    """The bucket's label in SQL, as ``definitions.bucket_of`` names it (below the first: the first)."""
    whens = [(value <= high, literal(bucket_label((low, high)))) for low, high in buckets if high is not None]
    return case(*whens, else_=literal(bucket_label(buckets[-1])))


def arrival_buckets(session: Session, prop: PropertyRow, *, start: date, end: date, grain: str,
                    dim: Dimension) -> list[Any]:
    """PostgreSQL only: (period start, dim, status, lead bucket, stay bucket, count) of the
    reservations arriving in [start, end), lead time from the local date they were made."""
    arrival = Reservation.arrival
    period = arrival if grain == "day" else func.date(func.date_trunc(grain, arrival))
    made = func.date(func.timezone(prop.timezone, Reservation.created_at))
    stayed = ~Reservation.status.in_(("cancelled", "no_show"))
    lead = case((stayed, _bucket(arrival - made, LEAD_BUCKETS)), else_=literal(""))
    los = case((stayed, _bucket(Reservation.departure - arrival, STAY_BUCKETS)), else_=literal(""))
    nights = func.sum(Reservation.departure - arrival)
    value = expression(dim, arrival)
    statement = (
        select(period, value, Reservation.status, lead, los, func.count(), nights)
        .outerjoin(RatePlanUsage, RatePlanUsage.rate_plan_id == Reservation.rate_plan_id))
    statement = join(statement, dim, arrival).where(
        Reservation.property_id == prop.id, arrival >= start, arrival < end
    ).group_by(period, value, Reservation.status, lead, los)
    return list(session.execute(statement))


def books_at(session: Session, ids: Sequence[int], *, start: date, end: date,
             instants: Sequence[datetime]) -> list[Any]:
    """(property, night, then for each instant: rooms and quoted amount on the books at it)."""
    night = ReservationNight.night
    columns: list[Any] = []
    for n, at in enumerate(instants):
        held = and_(Reservation.created_at <= literal(at, Reservation.created_at.type),
                    or_(Reservation.cancelled_at.is_(None),
                        Reservation.cancelled_at > literal(at, Reservation.cancelled_at.type)))
        columns += [_count(held).label(f"rooms_{n}"),
                    func.coalesce(func.sum(case((held, ReservationNight.amount_minor), else_=0)), 0)
                    .label(f"amount_{n}")]
    statement = (
        select(Reservation.property_id, night, *columns)
        .select_from(ReservationNight)
        .join(Reservation, Reservation.id == ReservationNight.reservation_id)
        .outerjoin(RatePlanUsage, RatePlanUsage.rate_plan_id == Reservation.rate_plan_id)
        .where(Reservation.property_id.in_(list(ids)), ~_house(), night >= start, night < end)
        .group_by(Reservation.property_id, night))
    return list(session.execute(statement))


def night_history(session: Session, prop_id: int, *, start: date, end: date) -> list[Any]:
    """(night, created, cancelled, amount) of every reservation night in [start, end), house use left out."""
    statement = (
        select(ReservationNight.night, Reservation.created_at, Reservation.cancelled_at,
               ReservationNight.amount_minor)
        .join(Reservation, Reservation.id == ReservationNight.reservation_id)
        .outerjoin(RatePlanUsage, RatePlanUsage.rate_plan_id == Reservation.rate_plan_id)
        .where(Reservation.property_id == prop_id, ~_house(), ReservationNight.night >= start,
               ReservationNight.night < end))
    return list(session.execute(statement))


def booking_features(session: Session, prop_id: int, *, start: date, end: date) -> list[Any]:
    """(id, created, arrival, departure, status, refundable, has profile, group) of the
    reservations arriving in [start, end)."""
    from cloud.catalog.models import RatePlan

    statement = (
        select(Reservation.id, Reservation.created_at, Reservation.arrival, Reservation.departure,
               Reservation.status, RatePlan.refundable, Reservation.guest_id.is_not(None),
               Reservation.block_id.is_not(None))
        .join(RatePlan, RatePlan.id == Reservation.rate_plan_id)
        .where(Reservation.property_id == prop_id, Reservation.arrival >= start, Reservation.arrival < end))
    return list(session.execute(statement))


def read_together(session: Session, reads: Sequence[Callable[[Session], list[Any]]]) -> list[list[Any]]:
    """Run independent reads; on PostgreSQL at once, each on a connection of its own (each sees its
    own snapshot: a line posted meanwhile may be in one and not the other), on SQLite in turn."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or len(reads) < 2:
        return [read(session) for read in reads]

    def run(read: Callable[[Session], list[Any]]) -> list[Any]:
        with Session(bind=bind) as own:
            return read(own)

    with ThreadPoolExecutor(max_workers=len(reads)) as pool:
        return list(pool.map(run, reads))
