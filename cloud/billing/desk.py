"""What the front desk's check-out page shows of a stay's folio, and how it reads typed amounts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cloud.billing.folio import ChargeKind, Payer
from cloud.billing.invoicing import formatted_number
from cloud.billing.models import Charge, Folio, Invoice, Payment
from cloud.billing.service import balances
from cloud.core.idempotency import Stored, check_key, fingerprint, remember, replay
from cloud.core.money import Money, exponent

EXTRAS = (ChargeKind.MINIBAR, ChargeKind.RESTAURANT, ChargeKind.LAUNDRY, ChargeKind.SPA,
          ChargeKind.TRANSPORT)
MAX_DIGITS = 9  # a desk never types a billion: more is a slip of the keyboard (or an attack)
TYPED = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}(?:[.,][0-9]{{1,3}})?")
TOO_LONG = re.compile(rf"[0-9]{{{MAX_DIGITS + 1},}}(?:[.,][0-9]*)?")


class AmountRefused(ValueError):
    """A typed amount the desk must correct; ``reason`` says which message to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_amount(text: str, *, currency: str, folio_currency: str) -> Money:
    """A positive amount typed at the desk (``12.50`` or ``12,50``) in the folio's currency."""
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if currency != folio_currency:
        raise AmountRefused("currency")
    if text.startswith("-"):
        raise AmountRefused("negative")
    if not TYPED.fullmatch(text):
        raise AmountRefused("too_large" if TOO_LONG.fullmatch(text) else "format")
    whole, _, fraction = text.replace(",", ".").partition(".")
    places = exponent(folio_currency)
    if len(fraction) > places:
        raise AmountRefused("format")
    minor = int(whole) * 10**places + int((fraction or "0").ljust(places, "0") or "0")
    if minor <= 0:
        raise AmountRefused("negative")
    return Money(minor, folio_currency)


@dataclass(frozen=True, slots=True)
class Line:
    kind: str
    description: str
    night: date | None
    discount: bool
    quantity: int
    unit_minor: int
    net_minor: int
    tax_minor: int
    gross_minor: int
    payer: str
    routed: bool  # posted to the group's master folio (the company's account)
    invoice: str | None
    posted_at: datetime


@dataclass(frozen=True, slots=True)
class Paid:
    method: str
    direction: str
    amount_minor: int
    status: str
    payer: str
    at: datetime


@dataclass(frozen=True, slots=True)
class InvoiceLink:
    id: str
    number: str
    kind: str
    total_minor: int


@dataclass
class FolioView:
    folio: Folio
    lines: list[Line]
    payments: list[Paid]
    invoices: list[InvoiceLink]
    balances: dict[str, int]
    charged: dict[str, int] = field(default_factory=dict)
    taxes: dict[str, int] = field(default_factory=dict)
    net_minor: int = 0

    @property
    def owed(self) -> int:
        return self.balances.get(Payer.GUEST.value, 0)

    @property
    def has_company(self) -> bool:
        return self.folio.company_name is not None or any(line.routed for line in self.lines)

    @property
    def uninvoiced_guest_lines(self) -> bool:
        return any(line.payer == Payer.GUEST.value and not line.routed and line.invoice is None
                   for line in self.lines)


def folio_view(session: Session, folio: Folio) -> FolioView:
    """Every line of the stay (those routed to the company's master folio too), its payments,
    invoices, taxes by code and the balance of each payer."""
    invoices = list(session.scalars(select(Invoice).where(Invoice.folio_id == folio.id)
                                    .order_by(Invoice.issued_at, Invoice.id)))
    numbers = {i.id: formatted_number(i) for i in invoices}
    charges = list(session.scalars(select(Charge).where(or_(
        Charge.folio_id == folio.id, Charge.origin_folio_id == folio.id))
        .order_by(Charge.posted_at, Charge.id)))
    lines = [Line(kind=c.kind, description=c.description, night=c.night, discount=c.discount,
                  quantity=c.quantity, unit_minor=c.unit_minor, net_minor=c.net_minor,
                  tax_minor=c.tax_minor, gross_minor=c.gross_minor, payer=c.payer,
                  routed=c.folio_id != folio.id, invoice=numbers.get(c.invoice_id or ""),
                  posted_at=c.posted_at) for c in charges]
    pays = session.scalars(select(Payment).where(Payment.folio_id == folio.id)
                           .order_by(Payment.created_at, Payment.id))
    view = FolioView(
        folio=folio, lines=lines,
        payments=[Paid(method=p.method, direction=p.direction, amount_minor=p.amount_minor,
                       status=p.status, payer=p.payer, at=p.created_at) for p in pays],
        invoices=[InvoiceLink(id=i.id, number=numbers[i.id], kind=i.kind,
                              total_minor=i.total_minor) for i in invoices],
        balances={p.value: m.minor for p, m in balances(session, folio).items()})
    for charge, line in zip(charges, lines, strict=True):
        payer = Payer.COMPANY.value if line.routed else line.payer
        view.charged[payer] = view.charged.get(payer, 0) + line.gross_minor
        view.net_minor += line.net_minor
        for code, minor in charge.taxes.items():
            view.taxes[code] = view.taxes.get(code, 0) + int(minor)
    return view


def seen(session: Session, *, scope: str, key: str | None, body: Any) -> bool:
    """True when this form (its one-time key) was already done; the same key with other
    values is refused (``IdempotencyKeyReused``)."""
    return replay(session, scope=scope, key=check_key(key), print_=fingerprint(scope, body)) \
        is not None


def mark(session: Session, *, scope: str, key: str | None, body: Any, now: datetime) -> None:
    """Remember the form as done, in the transaction that does it."""
    remember(session, scope=scope, key=check_key(key), print_=fingerprint(scope, body),
             stored=Stored(200, {}), now=now)
