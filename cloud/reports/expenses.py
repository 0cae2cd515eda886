"""Expense entries, supplier invoices and recurring expenses: checked, then stored whole."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.catalog.models import Property
from cloud.core.nights import FIRST, LAST
from cloud.reports.errors import InvalidReport, UnknownProperty
from cloud.reports.models import CATEGORIES, Expense, RecurringExpense
from mqtt.envelope import new_id

MAX_MINOR = 10**12  # ten thousand million in major units: nothing a hotel spends at once


@dataclass(frozen=True, slots=True)
class ExpenseIn:
    category: str
    incurred_on: date
    amount_minor: int
    currency: str
    kind: str = "entry"
    supplier: str = ""
    reference: str = ""
    description: str = ""


def _property(session: Session, site: str) -> Property:
    prop = session.scalar(select(Property).where(Property.slug == site))
    if prop is None:
        raise UnknownProperty(f"no property {site!r}")
    return prop


def _check(prop: Property, *, category: str, amount_minor: int, currency: str) -> None:
    if category not in CATEGORIES:
        raise InvalidReport(f"the category must be one of {', '.join(CATEGORIES)}")
    if type(amount_minor) is not int or not 0 < amount_minor <= MAX_MINOR:
        raise InvalidReport("the amount is a positive number of minor units")
    if currency != prop.currency:
        raise InvalidReport(f"{prop.slug} keeps its books in {prop.currency}")


def add_expense(session: Session, *, site: str, entry: ExpenseIn, actor: str, now: datetime) -> Expense:
    prop = _property(session, site)
    _check(prop, category=entry.category, amount_minor=entry.amount_minor, currency=entry.currency)
    if not FIRST <= entry.incurred_on <= LAST:
        raise InvalidReport(f"an expense is dated between {FIRST} and {LAST}")
    if entry.kind not in ("entry", "supplier_invoice"):
        raise InvalidReport("an expense is an entry or a supplier_invoice")
    if entry.kind == "supplier_invoice" and not (entry.supplier.strip() and entry.reference.strip()):
        raise InvalidReport("a supplier invoice names its supplier and its number")
    if entry.kind == "supplier_invoice" and session.scalar(select(func.count()).where(
            Expense.property_id == prop.id, Expense.supplier == entry.supplier.strip(),
            Expense.reference == entry.reference.strip())):
        raise InvalidReport("this supplier's invoice is already recorded")
    row = Expense(id=new_id(), property_id=prop.id, kind=entry.kind, category=entry.category,
                  incurred_on=entry.incurred_on, amount_minor=entry.amount_minor, currency=entry.currency,
                  supplier=entry.supplier.strip(), reference=entry.reference.strip(),
                  description=entry.description.strip(), created_at=now, created_by=actor)
    session.add(row)
    session.flush()
    return row


def add_recurring(session: Session, *, site: str, category: str, amount_minor: int, currency: str,
                  first_month: date, last_month: date | None, description: str, actor: str,
                  now: datetime) -> RecurringExpense:
    prop = _property(session, site)
    _check(prop, category=category, amount_minor=amount_minor, currency=currency)
    if not FIRST <= first_month <= LAST or (last_month is not None and not FIRST <= last_month <= LAST):
        raise InvalidReport(f"months fall between {FIRST} and {LAST}")
    first = first_month.replace(day=1)
    last = last_month.replace(day=1) if last_month is not None else None
    if last is not None and last < first:
        raise InvalidReport("the last month comes after the first")
    row = RecurringExpense(id=new_id(), property_id=prop.id, category=category, amount_minor=amount_minor,
                           currency=currency, first_month=first, last_month=last,
                           description=description.strip(), created_at=now, created_by=actor)
    session.add(row)
    session.flush()
    return row


def expenses_of(session: Session, *, site: str, start: date, end: date) -> list[Expense]:
    prop = _property(session, site)
    return list(session.scalars(select(Expense).where(
        Expense.property_id == prop.id, Expense.incurred_on >= start, Expense.incurred_on < end)
        .order_by(Expense.incurred_on, Expense.id)))


def recurring_of(session: Session, *, site: str) -> list[RecurringExpense]:
    prop = _property(session, site)
    return list(session.scalars(select(RecurringExpense).where(RecurringExpense.property_id == prop.id)
                                .order_by(RecurringExpense.first_month, RecurringExpense.id)))
