"""Reports assembled from the SQL sums and the pure definitions (docs/reports.md)."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog.models import RatePlan, RoomType
from cloud.core.nights import FIRST, LAST
from cloud.reports import day_sums, queries
from cloud.reports.availability import available
from cloud.reports.definitions import Figures, Grain, department_of, period_key
from cloud.reports.dimensions import Dimension
from cloud.reports.errors import InvalidReport, UnknownProperty

MAX_NIGHTS = 3 * 366 + 1  # a report covers at most three years of nights
CHAIN = "chain"
Cell = Callable[[queries.PropertyRow, date, object], Figures]


@dataclass(frozen=True, slots=True)
class Query:
    sites: tuple[str, ...]
    start: date
    end: date  # exclusive
    grain: Grain = Grain.MONTH
    dimension: Dimension = Dimension.NONE
    per_property: bool = True

    def __post_init__(self) -> None:
        if not self.sites:
            raise InvalidReport("name at least one property")
        if self.start < FIRST or self.end > LAST:
            raise InvalidReport(f"a report covers nights between {FIRST} and {LAST}")
        if self.end <= self.start:
            raise InvalidReport("the report's end must be after its start")
        if (self.end - self.start).days > MAX_NIGHTS:
            raise InvalidReport(f"a report covers at most {MAX_NIGHTS} nights")


@dataclass
class Row:
    period: str
    site: str  # a property's slug, or "chain"
    value: str  # the dimension's value ("all" without one)
    currency: str
    figures: Figures = field(default_factory=Figures)


@dataclass
class Report:
    query: Query
    out_of_order: dict[str, str]  # site -> the setting used
    rows: list[Row]
    labels: dict[str, str]  # dimension ids -> names (room types, rate plans)


def load_properties(session: Session, sites: Sequence[str]) -> list[queries.PropertyRow]:
    found = queries.properties(session, sites)
    missing = sorted(set(sites) - {p.slug for p in found})
    if missing:
        raise UnknownProperty(f"no property {missing[0]!r}")
    return found


def kpis(session: Session, query: Query) -> Report:
    """Occupancy, ADR, RevPAR, TRevPAR and revenue by department, per period (and dimension)."""
    props = load_properties(session, query.sites)
    by_id = {p.id: p for p in props}
    by_site = {p.slug if query.per_property else CHAIN: p for p in props}
    if not query.per_property and len({p.currency for p in props}) > 1:
        raise InvalidReport("these properties bill in different currencies; ask for them per property")
    ids = list(by_id)
    cells: dict[tuple[str, str, str], Row] = {}

    def cell(prop: queries.PropertyRow, night: date, value: object) -> Figures:
        key = (period_key(night, query.grain), prop.slug if query.per_property else CHAIN, str(value))
        if key not in cells:
            cells[key] = Row(key[0], key[1], key[2], prop.currency)
        return cells[key].figures

    since = datetime.combine(query.start - timedelta(days=1), time(), tzinfo=UTC)
    until = datetime.combine(query.end + timedelta(days=1), time(), tzinfo=UTC)
    sites = [p.slug for p in props]
    everything = query.dimension is Dimension.NONE  # then every line in one pass over the folios
    summed = everything and day_sums.kept(session)  # PostgreSQL: the day sums, not every night and line
    start, end = query.start, query.end
    reads: list[Callable[[Session], list[Any]]]
    if summed:
        reads = [lambda s: queries.classify(s, day_sums.night_groups(s, ids, start=start, end=end)),
                 lambda s: day_sums.folio_lines(s, sites, start=start, end=end),
                 lambda s: day_sums.money_moved(s, sites, start=start, end=end),
                 lambda s: [day_sums.zones(s, sites)]]
    elif everything:
        reads = [lambda s: queries.night_counts(s, ids, start=start, end=end, dim=query.dimension),
                 lambda s: queries.folio_lines(s, sites, start=start, end=end, since=since, until=until),
                 lambda s: queries.money_moved(s, sites, since=since, until=until)]
    elif day_sums.kept(session):  # PostgreSQL: the dimension sums, once what is marked is folded
        day_sums.settle(session)
        reads = [lambda s: queries.classify(s, day_sums.dim_night_groups(s, ids, start=start, end=end,
                                                                         dim=query.dimension)),
                 lambda s: day_sums.dim_room_revenue(s, ids, start=start, end=end, dim=query.dimension)]
    else:
        reads = [lambda s: queries.night_counts(s, ids, start=start, end=end, dim=query.dimension),
                 lambda s: queries.room_revenue(s, ids, start=start, end=end, dim=query.dimension)]
    results = queries.read_together(session, reads)
    for prop_id, night, value, sold, comp, house, otb, _quoted in results[0]:
        figures = cell(by_id[prop_id], night, value)
        figures.sold += sold
        figures.complimentary += comp
        figures.house_use += house
        figures.on_the_books += otb
    if summed:  # a site whose zone changed since its lines were summed reads its lines
        moved_zone = [p.slug for p in props if results[3][0][p.slug] - {p.timezone}]
        lines = [r for r in results[1] if r[0] not in moved_zone]
        moved = [r for r in results[2] if r[0] not in moved_zone]
        if moved_zone:
            lines += queries.folio_lines(session, moved_zone, start=query.start, end=query.end,
                                         since=since, until=until)
            moved += queries.money_moved(session, moved_zone, since=since, until=until)
        _all_revenue(query, props, cell, lines=lines, moved=moved)
    elif everything:
        _all_revenue(query, props, cell, lines=results[1], moved=results[2])
    else:
        for prop_id, night, value, net, gross in results[1]:
            _add_room(cell(by_id[prop_id], night, value), net, gross)
    own_split = query.dimension in (Dimension.NONE, Dimension.ROOM_TYPE)
    shared: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for key, row in cells.items():
        shared[key[:2]].append(row)
    for (period, site, value), (have, ooo) in _availability(session, query, props).items():
        if own_split:
            if (period, site, value) not in cells:
                cells[(period, site, value)] = Row(period, site, value, by_site[site].currency)
            targets = [cells[(period, site, value)]]
        else:  # the whole property's rooms are every value's (docs/reports.md#dimensions)
            targets = shared[(period, site)]
        for row in targets:
            row.figures.available += have
            row.figures.out_of_order += ooo
    rows = sorted(cells.values(), key=lambda r: (r.period, r.site, r.value))
    return Report(query, {p.slug: p.out_of_order.value for p in props}, rows,
                  _labels(session, query.dimension))


def _availability(session: Session, query: Query,
                  props: Sequence[queries.PropertyRow]) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(period, site or chain, room type or "all") -> (rooms available, out of order)."""
    ids = [p.id for p in props]
    rooms = queries.rooms(session, ids)
    broken = queries.out_of_order(session, ids, start=query.start, end=query.end)
    summed: dict[tuple[str, str, str], tuple[int, int]] = {}
    for prop in props:
        counts = available(rooms[prop.id], broken[prop.id], start=query.start, end=query.end,
                           setting=prop.out_of_order)
        for (night, room_type), (have, ooo) in counts.items():
            value = str(room_type) if query.dimension is Dimension.ROOM_TYPE else "all"
            key = (period_key(night, query.grain), prop.slug if query.per_property else CHAIN, value)
            before = summed.get(key, (0, 0))
            summed[key] = (before[0] + have, before[1] + ooo)
    return summed


def _add_room(figures: Figures, net: int, gross: int) -> None:
    figures.room_net += int(net)
    figures.room_gross += int(gross)
    _add_department(figures, "rooms", net, gross)


def _all_revenue(query: Query, props: Sequence[queries.PropertyRow], cell: Cell, *, lines: list[Any],
                 moved: list[Any]) -> None:
    """Room nights by night; other lines, payments and refunds by the local date they were made."""
    by_slug = {p.slug: p for p in props}
    for site, kind, when, net, gross in lines:
        prop = by_slug[site]
        if kind == "room_night":
            _add_room(cell(prop, _night(when), "all"), net, gross)
            continue
        day = _local_day(when, prop.timezone)
        if query.start <= day < query.end and kind == "rent":  # a long stay's rent is room revenue
            _add_room(cell(prop, day, "all"), net, gross)
        elif query.start <= day < query.end:
            _add_department(cell(prop, day, "all"), department_of(kind), net, gross)
    for site, direction, hour, amount in moved:
        prop = by_slug[site]
        day = _local_day(hour, prop.timezone)
        if query.start <= day < query.end:
            figures = cell(prop, day, "all")
            if direction == "refund":
                figures.refunds += int(amount)
            else:
                figures.payments += int(amount)


def _night(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


@functools.lru_cache(maxsize=65536)
def _local_day(hour: object, zone: str) -> date:
    """A local date as PostgreSQL gives it, or SQLite's UTC hour placed in the property's zone."""
    if isinstance(hour, date):
        return hour
    text = str(hour)
    at = datetime(int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), tzinfo=UTC)
    return at.astimezone(ZoneInfo(zone)).date()


def _add_department(figures: Figures, dept: str, net: int, gross: int) -> None:
    figures.departments_net[dept] = figures.departments_net.get(dept, 0) + int(net)
    figures.departments_gross[dept] = figures.departments_gross.get(dept, 0) + int(gross)


def _labels(session: Session, dim: Dimension) -> dict[str, str]:
    if dim is Dimension.ROOM_TYPE:
        return {str(i): code for i, code in session.execute(select(RoomType.id, RoomType.code))}
    if dim is Dimension.RATE_PLAN:
        return {str(i): code for i, code in session.execute(select(RatePlan.id, RatePlan.code))}
    return {}


def totals(rows: Sequence[Row]) -> dict[tuple[str, str], Figures]:
    """The rows of each (site, value) added over the periods."""
    summed: dict[tuple[str, str], Figures] = defaultdict(Figures)
    for row in rows:
        summed[(row.site, row.value)].add(row.figures)
    return dict(summed)
