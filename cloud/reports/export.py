"""The same figures as rows of plain values, for the API's JSON and the CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from cloud.reports.definitions import DEPARTMENT_ORDER
from cloud.reports.models import CATEGORIES
from cloud.reports.pnl import MonthPnl
from cloud.reports.service import Report

DOCS = "docs/reports.md"
# column -> the anchor of its definition in docs/reports.md
COLUMNS: tuple[tuple[str, str], ...] = (
    ("period", "night"), ("site", "dimensions"), ("value", "dimensions"), ("currency", "revenue"),
    ("rooms_available", "rooms-available"), ("rooms_out_of_order", "rooms-available"),
    ("rooms_sold", "rooms-sold"), ("complimentary", "rooms-sold"), ("house_use", "rooms-sold"),
    ("on_the_books", "on-the-books"), ("occupancy_pct", "occupancy"),
    ("room_revenue_net", "room-revenue"), ("room_revenue_gross", "room-revenue"),
    ("adr_net", "adr"), ("adr_gross", "adr"), ("revpar_net", "revpar"), ("revpar_gross", "revpar"),
    *((f"revenue_{d}_net", "departments") for d in DEPARTMENT_ORDER),
    ("total_revenue_net", "departments"), ("total_revenue_gross", "departments"),
    ("trevpar_net", "trevpar"), ("payments", "payments"), ("refunds", "payments"),
)


def records(report: Report) -> list[dict[str, Any]]:
    out = []
    for row in report.rows:
        f, ratios = row.figures, row.figures.ratios()
        record: dict[str, Any] = {
            "period": row.period, "site": row.site, "value": report.labels.get(row.value, row.value),
            "currency": row.currency, "rooms_available": f.available, "rooms_out_of_order": f.out_of_order,
            "rooms_sold": f.sold, "complimentary": f.complimentary, "house_use": f.house_use,
            "on_the_books": f.on_the_books, "occupancy_pct": ratios["occupancy_pct"],
            "room_revenue_net": f.room_net, "room_revenue_gross": f.room_gross,
            "adr_net": ratios["adr_net"], "adr_gross": ratios["adr_gross"],
            "revpar_net": ratios["revpar_net"], "revpar_gross": ratios["revpar_gross"],
        }
        for dept in DEPARTMENT_ORDER:
            record[f"revenue_{dept}_net"] = f.departments_net.get(dept, 0)
        record.update(total_revenue_net=f.total_net, total_revenue_gross=f.total_gross,
                      trevpar_net=ratios["trevpar_net"], payments=f.payments, refunds=f.refunds)
        out.append(record)
    return out


PNL_COLUMNS: tuple[str, ...] = (
    "month", "site", "currency", "rooms_available",
    *(f"revenue_{d}_net" for d in DEPARTMENT_ORDER), "total_revenue_net",
    *(f"expense_{c}" for c in CATEGORIES), "channel_commissions", "total_expenses", "gop", "goppar",
)


def pnl_records(months: Sequence[MonthPnl]) -> list[dict[str, Any]]:
    """The P&L's rows as the API, the CSV, the XLSX and the PDF give them (minor units)."""
    out = []
    for m in months:
        record: dict[str, Any] = {"month": m.month, "site": m.site, "currency": m.currency,
                                  "rooms_available": m.rooms_available}
        record.update({f"revenue_{d}_net": m.revenue.get(d, 0) for d in DEPARTMENT_ORDER})
        record["total_revenue_net"] = m.total_revenue
        record.update({f"expense_{c}": m.expenses.get(c, 0) for c in CATEGORIES})
        record.update(channel_commissions=m.total_commissions, total_expenses=m.total_expenses, gop=m.gop,
                      goppar=m.goppar)
        out.append(record)
    return out


def plain_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return "" if value is None else value


def to_csv(records_: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    """Money in minor units, percentages with two decimals, empty where there is no figure.
    A text cell that a spreadsheet would run as a formula is prefixed with a quote."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for record in records_:
        writer.writerow([_cell(plain_value(record.get(c))) for c in columns])
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
