"""The monthly profit and loss per property and for the chain (docs/reports.md#profit-and-loss).

Revenue by department comes from the KPI report (net of taxes); expenses are summed in SQL by
month and category, recurring ones expanded month by month; nothing is copied."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.reports import commissions
from cloud.reports.definitions import Grain, goppar, period_key
from cloud.reports.errors import InvalidReport
from cloud.reports.models import CATEGORIES, Expense, RecurringExpense
from cloud.reports.service import CHAIN, Query, kpis, load_properties


@dataclass
class MonthPnl:
    month: str
    site: str
    currency: str
    rooms_available: int = 0
    revenue: dict[str, int] = field(default_factory=dict)  # department -> net
    expenses: dict[str, int] = field(default_factory=dict)  # category -> amount
    commissions: dict[str, int] = field(default_factory=dict)  # channel -> computed commission

    @property
    def total_revenue(self) -> int:
        return sum(self.revenue.values())

    @property
    def total_commissions(self) -> int:
        return sum(self.commissions.values())

    @property
    def total_expenses(self) -> int:
        """Entered expenses and the channels' computed commissions."""
        return sum(self.expenses.values()) + self.total_commissions

    @property
    def gop(self) -> int:
        return self.total_revenue - self.total_expenses

    @property
    def goppar(self) -> int | None:
        return goppar(revenue_net=self.total_revenue, expenses=self.total_expenses,
                      available=self.rooms_available)


def months_between(first: date, last: date) -> list[date]:
    """First days of the months from ``first``'s to ``last``'s, both included."""
    out, month = [], first.replace(day=1)
    while month <= last:
        out.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return out


def pnl(session: Session, *, sites: tuple[str, ...], start: date, end: date,
        per_property: bool = True) -> list[MonthPnl]:
    """Months [start's, end's) — start and end are first days of months."""
    if start.day != 1 or end.day != 1 or end <= start:
        raise InvalidReport("a P&L runs from the first day of a month to the first day of a later one")
    props = load_properties(session, sites)
    report = kpis(session, Query(sites=sites, start=start, end=end, grain=Grain.MONTH,
                                 per_property=per_property))
    rows: dict[tuple[str, str], MonthPnl] = {}
    for row in report.rows:
        entry = rows.setdefault((row.period, row.site), MonthPnl(row.period, row.site, row.currency))
        entry.rooms_available += row.figures.available
        for dept, amount in row.figures.departments_net.items():
            entry.revenue[dept] = entry.revenue.get(dept, 0) + amount
    spent: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    ids = {p.id: p for p in props}
    month_of = func.substr(func.cast(Expense.incurred_on, type_=Expense.currency.type), 1, 7)
    for prop_id, month, category, amount in session.execute(
            select(Expense.property_id, month_of, Expense.category, func.sum(Expense.amount_minor))
            .where(Expense.property_id.in_(list(ids)), Expense.incurred_on >= start,
                   Expense.incurred_on < end)
            .group_by(Expense.property_id, month_of, Expense.category)):
        key = (str(month), ids[prop_id].slug if per_property else CHAIN)
        spent[key][category] = spent[key].get(category, 0) + int(amount)
    for plan in session.scalars(select(RecurringExpense).where(RecurringExpense.property_id.in_(list(ids)))):
        last = min(plan.last_month or end, end)
        for month in months_between(max(plan.first_month, start), last):
            if month < end:
                key = (period_key(month, Grain.MONTH), ids[plan.property_id].slug if per_property else CHAIN)
                spent[key][plan.category] = spent[key].get(plan.category, 0) + plan.amount_minor
    for (month, site), categories in spent.items():
        found = rows.get((month, site))
        if found is not None:
            found.expenses.update({c: categories[c] for c in CATEGORIES if c in categories})
    for (prop_id, month), by_channel in commissions.monthly(session, list(ids), start=start, end=end).items():
        found = rows.get((month, ids[prop_id].slug if per_property else CHAIN))
        if found is not None:
            for code, amount in by_channel.items():
                found.commissions[code] = found.commissions.get(code, 0) + amount
    return sorted(rows.values(), key=lambda r: (r.month, r.site))
