"""The reports in the portal: figures with their charts and tables, exports, definitions.

Every chart stands beside the table of its figures; every column heading links to its definition
(``/reports/definitions#...``, the same anchors as docs/reports.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from cloud.auth.deps import require_role
from cloud.auth.roles import Principal
from cloud.auth.scope import SiteScopeDep
from cloud.billing.desk import parse_amount
from cloud.core.deps import ClockDep, DbSession
from cloud.core.templating import templates
from cloud.i18n.jinja import gettext as _
from cloud.i18n.labels import N_
from cloud.reports import charts, commission_rates, export, pickup, service
from cloud.reports import expenses as expense_book
from cloud.reports import pnl as pnl_report
from cloud.reports.access import PNL_ROLES, REPORT_ROLES
from cloud.reports.definitions import DEPARTMENT_ORDER, Grain
from cloud.reports.errors import InvalidReport, UnknownChannel
from cloud.reports.models import CATEGORIES
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




Manager = Annotated[Principal, require_role(*PNL_ROLES)]
CATEGORY_NAMES = {"payroll": N_("Payroll"), "utilities": N_("Utilities"), "supplies": N_("Supplies"),
                  "maintenance": N_("Maintenance"), "commissions": N_("Commissions"),
                  "marketing": N_("Marketing"), "other": N_("Other")}


def _pnl_page(request: Request, db: Session, scope: Any, *, site: str | None, year: int, error: str = "",
              form: dict[str, str] | None = None, status: int = 200, recurring_error: str = "",
              recurring_form: dict[str, str] | None = None) -> HTMLResponse:
    sites = scope.narrow(site)
    if not sites:
        raise InvalidReport("you see no property")
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    months = pnl_report.pnl(db, sites=(sites[0],), start=start, end=end)
    spent = expense_book.expenses_of(db, site=sites[0], start=start, end=end)
    return templates.TemplateResponse(request, "reports/pnl.html", {
        "active": "reports", "site": sites[0], "sites": scope.narrow(), "year": year, "months": months,
        "expenses": spent, "categories": [(c, _(CATEGORY_NAMES[c])) for c in CATEGORIES],
        "departments": [(d, _(DEPARTMENT_NAMES[d])) for d in DEPARTMENT_ORDER],
        "currency": months[0].currency if months else "", "error": error, "form": form or {},
        "recurring": expense_book.recurring_of(db, site=sites[0]), "recurring_error": recurring_error,
        "recurring_form": recurring_form or {}},
        status_code=status)


@router.get("/pnl", response_class=HTMLResponse)
def pnl_page(request: Request, user: Manager, scope: SiteScopeDep, db: DbSession, clock: ClockDep,
             site: Annotated[str | None, Query(pattern=SLUG)] = None,
             year: Annotated[int | None, Query(ge=2000, le=2199)] = None) -> HTMLResponse:
    return _pnl_page(request, db, scope, site=site, year=year or clock().year)


@router.post("/pnl/{site}/expenses", response_model=None)
async def add_expense_page(request: Request, user: Manager, scope: SiteScopeDep, db: DbSession,
                           clock: ClockDep, site: Annotated[str, Path(pattern=SLUG)]) -> Response:
    """Record an expense from the form; a refused one shows the form again with the reason."""
    scope.check(site)
    raw = await request.form()
    form = {k: str(raw.get(k, ""))[:400] for k in ("kind", "category", "incurred_on", "amount", "supplier",
                                                    "reference", "description")}
    prop_currency = service.load_properties(db, [site])[0].currency
    try:
        day = date.fromisoformat(form["incurred_on"])
        amount = parse_amount(form["amount"], currency=prop_currency, folio_currency=prop_currency)
        entry = expense_book.ExpenseIn(
            kind=form["kind"], category=form["category"], incurred_on=day, amount_minor=amount.minor,
            currency=prop_currency, supplier=form["supplier"], reference=form["reference"],
            description=form["description"])
        expense_book.add_expense(db, site=site, actor=user.username, now=clock(), entry=entry)
    except (ValueError, InvalidReport) as exc:
        db.rollback()
        reason = exc.detail if isinstance(exc, InvalidReport) else _("Check the date and the amount.")
        return _pnl_page(request, db, scope, site=site, year=clock().year, status=422, form=form,
                         error=reason)
    db.commit()
    return RedirectResponse(f"/reports/pnl?site={site}&year={day.year}", status_code=303)


def _month(text: str) -> date | None:
    """``YYYY-MM`` (a month input) as its first day; empty: None."""
    return date.fromisoformat(f"{text}-01") if text else None


@router.post("/pnl/{site}/recurring", response_model=None)
async def add_recurring_page(request: Request, user: Manager, scope: SiteScopeDep, db: DbSession,
                             clock: ClockDep, site: Annotated[str, Path(pattern=SLUG)]) -> Response:
    """Record a recurring expense from the form; a refused one shows the form again with the reason."""
    scope.check(site)
    raw = await request.form()
    form = {k: str(raw.get(k, ""))[:400] for k in ("category", "first_month", "last_month", "amount",
                                                    "description")}
    prop_currency = service.load_properties(db, [site])[0].currency
    try:
        first = _month(form["first_month"])
        if first is None:
            raise ValueError("no first month")
        amount = parse_amount(form["amount"], currency=prop_currency, folio_currency=prop_currency)
        expense_book.add_recurring(db, site=site, category=form["category"], amount_minor=amount.minor,
                                   currency=prop_currency, first_month=first,
                                   last_month=_month(form["last_month"]), description=form["description"],
                                   actor=user.username, now=clock())
    except (ValueError, InvalidReport) as exc:
        db.rollback()
        reason = exc.detail if isinstance(exc, InvalidReport) else _("Check the months and the amount.")
        return _pnl_page(request, db, scope, site=site, year=clock().year, status=422,
                         recurring_form=form, recurring_error=reason)
    db.commit()
    return RedirectResponse(f"/reports/pnl?site={site}&year={first.year}#recurring-h", status_code=303)


def _percent(text: str) -> int:
    """``15``, ``15.5`` or ``15,25`` (per cent, two decimals at most) as basis points."""
    cleaned = text.strip().replace(",", ".")
    whole, _dot, cents = cleaned.partition(".")
    if not whole.isdigit() or len(whole) > 3 or (cents and (not cents.isdigit() or len(cents) > 2)):
        raise ValueError("not a percentage")
    return int(whole) * 100 + int(cents.ljust(2, "0") if cents else 0)


def _commissions_page(request: Request, db: Session, scope: Any, *, site: str | None, status: int = 200,
                      error: str = "", form: dict[str, str] | None = None) -> HTMLResponse:
    sites = scope.narrow(site)
    if not sites:
        raise InvalidReport("you see no property")
    return templates.TemplateResponse(request, "reports/commissions.html", {
        "active": "reports", "site": sites[0], "sites": scope.narrow(),
        "channels": commission_rates.history(db, site=sites[0]), "error": error, "form": form or {}},
        status_code=status)


@router.get("/commissions", response_class=HTMLResponse)
def commissions_page(request: Request, user: Manager, scope: SiteScopeDep, db: DbSession,
                     site: Annotated[str | None, Query(pattern=SLUG)] = None) -> HTMLResponse:
    """Each channel's commission rate over time, and a form to change it from a date."""
    return _commissions_page(request, db, scope, site=site)


@router.post("/commissions/{site}", response_model=None)
async def set_commission_page(request: Request, user: Manager, scope: SiteScopeDep, db: DbSession,
                              clock: ClockDep, site: Annotated[str, Path(pattern=SLUG)]) -> Response:
    """Record a rate change from the form; a refused one shows the form again with the reason."""
    scope.check(site)
    raw = await request.form()
    form = {k: str(raw.get(k, ""))[:64] for k in ("channel", "rate", "effective_from")}
    try:
        rate = _percent(form["rate"])
        since = date.fromisoformat(form["effective_from"])
        commission_rates.set_rate(db, site=site, channel=form["channel"], rate_bp=rate, effective_from=since,
                                  actor=user, now=clock())
    except (ValueError, InvalidReport, UnknownChannel) as exc:
        db.rollback()
        if isinstance(exc, UnknownChannel):
            reason = _("No such channel at this property.")
        elif isinstance(exc, InvalidReport):
            reason = _(exc.detail)
        else:
            reason = _("Give the rate in per cent (up to two decimals) and the date it applies from.")
        return _commissions_page(request, db, scope, site=site, status=422, error=reason, form=form)
    db.commit()
    return RedirectResponse(f"/reports/commissions?site={site}", status_code=303)
