"""The reports as JSON and CSV under /api/v1/reports (docs/reports.md).

``site`` may be given several times; none means every property the caller sees. Naming a
property the caller may not see is refused (403); housekeeping and maintenance get 403."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from cloud.auth.deps import require_role
from cloud.auth.roles import Principal
from cloud.auth.scope import SiteScopeDep
from cloud.core.deps import ClockDep, SessionsDep
from cloud.reports import bookings as booking_report
from cloud.reports import export, service
from cloud.reports import pickup as pickup_report
from cloud.reports.access import REPORT_ROLES
from cloud.reports.definitions import Grain
from cloud.reports.dimensions import Dimension
from cloud.reports.errors import InvalidReport
from cloud.reports.schemas import SLUG

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
Reader = Annotated[Principal, require_role(*REPORT_ROLES)]
Sites = Annotated[list[Annotated[str, Query(pattern=SLUG)]] | None, Query(alias="site", max_length=200)]


def _sites(scope: Any, sites: list[str] | None) -> tuple[str, ...]:
    if not sites:
        chosen = scope.narrow()
    else:
        for site in sites:
            scope.check(site)
        chosen = sorted(set(sites))
    if not chosen:
        raise InvalidReport("you see no property")
    return tuple(chosen)


def _query(scope: Any, sites: list[str] | None, start: date, end: date, grain: Grain, dimension: Dimension,
           per_property: bool) -> service.Query:
    return service.Query(sites=_sites(scope, sites), start=start, end=end, grain=grain, dimension=dimension,
                         per_property=per_property)


@router.get("/kpis")
def kpis(user: Reader, scope: SiteScopeDep, sessions: SessionsDep, start: date, end: date,
         site: Sites = None, grain: Grain = Grain.MONTH, dimension: Dimension = Dimension.NONE,
         per_property: bool = True) -> dict[str, Any]:
    """Occupancy, ADR, RevPAR, TRevPAR and revenue by department; money in minor units, net and
    gross as each field says."""
    query = _query(scope, site, start, end, grain, dimension, per_property)
    with sessions() as session:
        report = service.kpis(session, query)
    return {"definitions": export.DOCS, "out_of_order": report.out_of_order,
            "columns": {name: f"{export.DOCS}#{anchor}" for name, anchor in export.COLUMNS},
            "rows": [{k: export.plain_value(v) if v is not None else None for k, v in r.items()}
                     for r in export.records(report)]}


@router.get("/kpis.csv", response_class=Response)
def kpis_csv(user: Reader, scope: SiteScopeDep, sessions: SessionsDep, start: date, end: date,
             site: Sites = None, grain: Grain = Grain.MONTH, dimension: Dimension = Dimension.NONE,
             per_property: bool = True) -> Response:
    query = _query(scope, site, start, end, grain, dimension, per_property)
    with sessions() as session:
        report = service.kpis(session, query)
    body = export.to_csv(export.records(report), [name for name, _ in export.COLUMNS])
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="kpis.csv"'})


@router.get("/bookings")
def bookings(user: Reader, scope: SiteScopeDep, sessions: SessionsDep, start: date, end: date,
             site: Sites = None, grain: Grain = Grain.MONTH, dimension: Dimension = Dimension.NONE,
             per_property: bool = True) -> dict[str, Any]:
    """Cancellations, no-shows, lead time and length of stay of the reservations arriving."""
    query = _query(scope, site, start, end, grain, dimension, per_property)
    with sessions() as session:
        rows = booking_report.bookings(session, query)
    return {"definitions": f"{export.DOCS}#cancellations", "rows": [
        {"period": r.period, "site": r.site, "value": r.value, "reservations": r.reservations,
         "cancelled": r.cancelled, "no_show": r.no_show, "cancelled_nights": r.cancelled_nights,
         "no_show_nights": r.no_show_nights, "cancellation_pct": export.plain_value(r.cancellation_pct),
         "lead_time": r.lead_time, "length_of_stay": r.length_of_stay} for r in rows]}


@router.get("/pickup")
def pickup(user: Reader, scope: SiteScopeDep, sessions: SessionsDep, clock: ClockDep,
           site: Sites = None, nights: Annotated[int, Query(ge=1, le=400)] = 90) -> dict[str, Any]:
    """Rooms on the books per night ahead, pickup over 1, 7 and 30 days, and pace against last year."""
    sites = list(_sites(scope, site))
    with sessions() as session:
        rows = pickup_report.pickup(session, sites=sites, now=clock(), nights=nights)
    return {"definitions": f"{export.DOCS}#pickup", "rows": [
        {"site": r.site, "night": r.night.isoformat(), "rooms": r.rooms, "quoted": r.quoted,
         "pickup": {str(k): v for k, v in r.pickup.items()}, "last_year_same_point": r.last_year_same_point,
         "last_year_final": r.last_year_final, "pace": r.pace} for r in rows]}
