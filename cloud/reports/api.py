"""The reports as JSON and CSV under /api/v1/reports (docs/reports.md).

``site`` may be given several times; none means every property the caller sees. Naming a
property the caller may not see is refused (403); housekeeping and maintenance get 403."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from cloud.auth.deps import require_role
from cloud.auth.roles import Principal
from cloud.auth.scope import SiteScopeDep
from cloud.billing.fonts import find_cjk_font
from cloud.core.deps import ClockDep, SessionsDep
from cloud.reports import bookings as booking_report
from cloud.reports import commission_rates, export, outlook, pdf, service, xlsx
from cloud.reports import expenses as expense_book
from cloud.reports import pickup as pickup_report
from cloud.reports import pnl as pnl_report
from cloud.reports.access import PNL_ROLES, REPORT_ROLES
from cloud.reports.definitions import Grain
from cloud.reports.dimensions import Dimension
from cloud.reports.errors import InvalidReport
from cloud.reports.schemas import SLUG, CommissionRateBody, ExpenseBody, RecurringBody

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
Reader = Annotated[Principal, require_role(*REPORT_ROLES)]
Manager = Annotated[Principal, require_role(*PNL_ROLES)]
Site = Annotated[str, Path(pattern=SLUG)]
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


def _export_report(scope: Any, sessions: Any, site: list[str] | None, start: date, end: date, grain: Grain,
                   dimension: Dimension, per_property: bool) -> list[dict[str, Any]]:
    query = _query(scope, site, start, end, grain, dimension, per_property)
    with sessions() as session:
        return export.records(service.kpis(session, query))


@router.get("/kpis.xlsx", response_class=Response)
def kpis_xlsx(user: Reader, scope: SiteScopeDep, sessions: SessionsDep, start: date, end: date,
              site: Sites = None, grain: Grain = Grain.MONTH, dimension: Dimension = Dimension.NONE,
              per_property: bool = True) -> Response:
    records = _export_report(scope, sessions, site, start, end, grain, dimension, per_property)
    body = xlsx.workbook(records, [name for name, _ in export.COLUMNS], title="KPIs")
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="kpis.xlsx"'})


@router.get("/kpis.pdf", response_class=Response)
def kpis_pdf(user: Reader, scope: SiteScopeDep, sessions: SessionsDep, start: date, end: date,
             site: Sites = None, grain: Grain = Grain.MONTH, dimension: Dimension = Dimension.NONE,
             per_property: bool = True) -> Response:
    records = _export_report(scope, sessions, site, start, end, grain, dimension, per_property)
    sites = ", ".join(sorted({r["site"] for r in records}))
    body = pdf.render(records, title=f"KPIs {sites} {start.isoformat()} - {end.isoformat()}",
                      headings={}, font=find_cjk_font(),
                      note=f"Money in minor units, net of taxes; definitions: {export.DOCS}")
    return Response(body, media_type="application/pdf",
                    headers={"Content-Disposition": 'attachment; filename="kpis.pdf"'})


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


@router.post("/{site}/expenses", status_code=201)
def add_expense(site: Site, body: ExpenseBody, user: Manager, scope: SiteScopeDep, sessions: SessionsDep,
                clock: ClockDep) -> dict[str, Any]:
    """Record an expense entry or a supplier's invoice (the same invoice twice is refused)."""
    scope.check(site)
    with sessions.begin() as session:
        row = expense_book.add_expense(session, site=site, actor=user.username, now=clock(),
                                       entry=expense_book.ExpenseIn(**body.model_dump()))
        return {"id": row.id, **body.model_dump(mode="json")}


@router.post("/{site}/recurring-expenses", status_code=201)
def add_recurring(site: Site, body: RecurringBody, user: Manager, scope: SiteScopeDep, sessions: SessionsDep,
                  clock: ClockDep) -> dict[str, Any]:
    """An expense that repeats every month from ``first_month`` to ``last_month`` (included)."""
    scope.check(site)
    with sessions.begin() as session:
        row = expense_book.add_recurring(session, site=site, actor=user.username, now=clock(),
                                         **body.model_dump())
        return {"id": row.id, **body.model_dump(mode="json")}


@router.get("/{site}/expenses")
def list_expenses(site: Site, user: Manager, scope: SiteScopeDep, sessions: SessionsDep, start: date,
                  end: date) -> list[dict[str, Any]]:
    scope.check(site)
    with sessions() as session:
        return [{"id": e.id, "kind": e.kind, "category": e.category, "incurred_on": e.incurred_on.isoformat(),
                 "amount_minor": e.amount_minor, "currency": e.currency, "supplier": e.supplier,
                 "reference": e.reference, "description": e.description}
                for e in expense_book.expenses_of(session, site=site, start=start, end=end)]


@router.get("/{site}/commission-rates")
def commission_rate_history(site: Site, user: Manager, scope: SiteScopeDep,
                            sessions: SessionsDep) -> dict[str, Any]:
    """Each channel's commission rate: the registry's, then every dated change."""
    scope.check(site)
    with sessions() as session:
        rows = commission_rates.history(session, site=site)
    return {"definitions": f"{export.DOCS}#commissions", "channels": commission_rates.rate_table(rows)}


@router.post("/{site}/commission-rates", status_code=201)
def set_commission_rate(site: Site, body: CommissionRateBody, user: Manager, scope: SiteScopeDep,
                        sessions: SessionsDep, clock: ClockDep) -> dict[str, Any]:
    """A channel's rate from a date on; reservations booked from that date pay it (a change already
    on that date is replaced). Audited with the rate before and after."""
    scope.check(site)
    with sessions.begin() as session:
        commission_rates.set_rate(session, site=site, channel=body.channel, rate_bp=body.rate_bp,
                                  effective_from=body.effective_from, actor=user, now=clock())
    return body.model_dump(mode="json")


@router.delete("/{site}/commission-rates/{channel}/{effective_from}", status_code=204,
                response_class=Response)
def remove_commission_rate(site: Site, channel: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")],
                           effective_from: date, user: Manager, scope: SiteScopeDep,
                           sessions: SessionsDep) -> Response:
    """Withdraw a dated change: the rate in force before it applies again. Audited."""
    scope.check(site)
    with sessions.begin() as session:
        commission_rates.remove_rate(session, site=site, channel=channel, effective_from=effective_from,
                                     actor=user)
    return Response(status_code=204)


@router.get("/pnl")
def pnl(user: Manager, scope: SiteScopeDep, sessions: SessionsDep, start: date, end: date,
        site: Sites = None, per_property: bool = True) -> dict[str, Any]:
    """Monthly profit and loss: revenue by department (net of taxes), expenses by category, GOP, GOPPAR."""
    sites = _sites(scope, site)
    with sessions() as session:
        rows = pnl_report.pnl(session, sites=sites, start=start, end=end, per_property=per_property)
    return {"definitions": f"{export.DOCS}#profit-and-loss", "rows": [
        {"month": r.month, "site": r.site, "currency": r.currency, "rooms_available": r.rooms_available,
         "revenue": r.revenue, "total_revenue": r.total_revenue, "expenses": r.expenses,
         "channel_commissions": r.commissions, "total_channel_commissions": r.total_commissions,
         "total_expenses": r.total_expenses, "gop": r.gop, "goppar": r.goppar} for r in rows]}


PNL_FILES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "pdf": "application/pdf"}


@router.get("/pnl.{fmt}", response_class=Response)
def pnl_file(fmt: Annotated[str, Path(pattern="^(csv|xlsx|pdf)$")], user: Manager, scope: SiteScopeDep,
             sessions: SessionsDep, start: date, end: date, site: Sites = None,
             per_property: bool = True) -> Response:
    """The monthly P&L as CSV, XLSX or PDF: the same figures as ``/pnl``, in minor units."""
    sites = _sites(scope, site)
    with sessions() as session:
        records = export.pnl_records(pnl_report.pnl(session, sites=sites, start=start, end=end,
                                                    per_property=per_property))
    if fmt == "csv":
        body: bytes | str = export.to_csv(records, export.PNL_COLUMNS)
    elif fmt == "xlsx":
        body = xlsx.workbook(records, export.PNL_COLUMNS, title="P&L")
    else:
        body = pdf.render(records, title=f"P&L {', '.join(sites)} {start.isoformat()} - {end.isoformat()}",
                          headings={}, font=find_cjk_font(), printed=pdf.PNL_PRINTED,
                          note=f"Money in minor units, revenue net of taxes; definitions: "
                               f"{export.DOCS}#profit-and-loss")
    return Response(body, media_type=PNL_FILES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="pnl.{fmt}"'})


@router.get("/{site}/forecast")
def forecast(site: Site, user: Manager, scope: SiteScopeDep, sessions: SessionsDep,
             clock: ClockDep) -> dict[str, Any]:
    """The next 90 nights by additive pickup with its error on held-out history, the cancellation
    risk of upcoming reservations with its precision and recall, and price suggestions (never applied)."""
    scope.check(site)
    with sessions() as session:
        seen = outlook.outlook(session, site=site, now=clock())
    return {
        "definitions": f"{export.DOCS}#forecast", "today": seen.today.isoformat(),
        "error_on_held_out_history": {"mae_rooms": seen.backtest_mae_rooms,
                                      "mae_occupancy_points": seen.backtest_mae_points},
        "nights": [{"night": n.night.isoformat(), "on_the_books": n.on_the_books, "rooms": n.rooms,
                    "occupancy_pct": n.occupancy_pct, "revenue": n.revenue,
                    "price_suggestion_pct": s.change_pct, "reason": s.reason, "applied": False}
                   for n, s in zip(seen.nights, seen.suggestions, strict=True)],
        "cancellation_risk": {
            "model": seen.risk.explain() if seen.risk else None, "precision": seen.risk_precision,
            "recall": seen.risk_recall, "threshold": 0.3, "trained_on": seen.risk_trained_on,
            "held_out": seen.risk_held_out,
            "upcoming": [{"reservation": rid, "probability": p} for rid, p in seen.upcoming]},
    }
