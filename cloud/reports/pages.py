"""The reports in the portal: figures with their charts and tables, exports, definitions.

Every chart stands beside the table of its figures; every column heading links to its definition
(``/reports/definitions#...``, the same anchors as docs/reports.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy.orm import Session

from cloud.auth.deps import require_role
from cloud.auth.roles import Principal
from cloud.auth.scope import SiteScopeDep
from cloud.core.deps import ClockDep, DbSession
from cloud.core.templating import templates
from cloud.i18n.jinja import gettext as _
from cloud.i18n.labels import N_
from cloud.reports import charts, export, pickup, service
from cloud.reports.access import REPORT_ROLES
from cloud.reports.definitions import DEPARTMENT_ORDER, Grain
from cloud.reports.errors import InvalidReport
from cloud.reports.schemas import SLUG

router = APIRouter(prefix="/reports", include_in_schema=False)
Reader = Annotated[Principal, require_role(*REPORT_ROLES)]
DEPARTMENT_NAMES = {"rooms": N_("Rooms"), "other_rooms": N_("Other rooms revenue"),
                    "food_beverage": N_("Food and beverage"), "services": N_("Services"),
                    "other": N_("Other")}


def _form(scope: Any, site: str | None, start: date | None, end: date | None, today: date) -> service.Query:
    sites = scope.narrow(site)
    if not sites:
        raise InvalidReport("you see no property")
    first = start or date(today.year, 1, 1)
    return service.Query(sites=(sites[0],), start=first, end=end or date(first.year + 1, 1, 1))


def _figures(db: Session, query: service.Query, grain: Grain) -> dict[str, Any]:
    report = service.kpis(db, service.Query(sites=query.sites, start=query.start, end=query.end, grain=grain))
    rows = export.records(report)
    labels = [r["period"] for r in rows]
    occupancy = [float(r["occupancy_pct"]) if r["occupancy_pct"] is not None else None for r in rows]
    adr = [r["adr_net"] / 100 if r["adr_net"] is not None else None for r in rows]
    mix = [charts.Series(_(DEPARTMENT_NAMES[d]), [r[f"revenue_{d}_net"] / 100 for r in rows])
           for d in DEPARTMENT_ORDER]
    occ = [charts.Series(_("Occupancy"), occupancy)]
    rate = [charts.Series(_("ADR (net)"), adr)]
    return {
        "rows": rows, "currency": rows[0]["currency"] if rows else "",
        "occupancy_chart": Markup(charts.line_chart(labels, occ, title=_("Occupancy"), unit="%")),
        "adr_chart": Markup(charts.line_chart(labels, rate, title=_("ADR (net)"))),
        "mix_chart": Markup(charts.bar_chart(labels, mix, title=_("Revenue mix"), stacked=True)),
        "mix_legend": charts.legend(mix),
        "departments": [(d, _(DEPARTMENT_NAMES[d])) for d in DEPARTMENT_ORDER],
    }


def _pickup(db: Session, query: service.Query, now: Any) -> dict[str, Any]:
    nights = pickup.pickup(db, sites=list(query.sites), now=now, nights=30)
    labels = [n.night.strftime("%d") for n in nights]
    series = [charts.Series(_("On the books"), [n.rooms for n in nights]),
              charts.Series(_("Same point last year"), [n.last_year_same_point for n in nights])]
    picked = [charts.Series(_("Picked up in 7 days"), [max(n.pickup[7], 0) for n in nights])]
    return {"nights": nights, "pickup_chart": Markup(
        charts.line_chart(labels, series, title=_("Pickup"))), "pickup_legend": charts.legend(series),
        "picked_chart": Markup(charts.bar_chart(labels, picked, title=_("Picked up in 7 days")))}


@router.get("", response_class=HTMLResponse)
def reports_page(request: Request, user: Reader, scope: SiteScopeDep, db: DbSession, clock: ClockDep,
                 site: Annotated[str | None, Query(pattern=SLUG)] = None, start: date | None = None,
                 end: date | None = None, grain: Grain = Grain.MONTH) -> HTMLResponse:
    now = clock()
    query = _form(scope, site, start, end, now.date())
    context = {"active": "reports", "query": query, "grain": grain, "sites": scope.narrow(),
               "grains": list(Grain), "columns": dict(export.COLUMNS),
               **_figures(db, query, grain), **_pickup(db, query, now)}
    context["export"] = (f"site={query.sites[0]}&start={query.start.isoformat()}&end={query.end.isoformat()}"
                         f"&grain={grain.value}")
    return templates.TemplateResponse(request, "reports/kpis.html", context)


@router.get("/definitions", response_class=HTMLResponse)
def definitions(request: Request, user: Reader) -> HTMLResponse:
    return templates.TemplateResponse(request, "reports/definitions.html", {"active": "reports"})


