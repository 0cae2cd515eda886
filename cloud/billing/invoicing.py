"""Issuing invoices and credit notes with gapless numbers per series.

The number comes from a counter row per series, incremented by ``UPDATE ... RETURNING`` in the
same transaction as the invoice insert: on PostgreSQL the row lock serialises concurrent
issuers until commit, on SQLite ``BEGIN IMMEDIATE`` does; a rolled-back transaction rolls its
increment back too, so numbers never skip and never repeat.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from cloud.billing.errors import BillingConflict, InvoiceNotFound
from cloud.billing.folio import Payer
from cloud.billing.models import Charge, Folio, Invoice, InvoiceSeries
from cloud.billing.node_series import refuse_node_series
from cloud.billing.service import get_folio
from mqtt.envelope import new_id


def next_number(session: Session, series: str) -> int:
    """Take the next number of a series inside the caller's transaction (never in a series
    reserved for a property node: only the node numbers those)."""
    refuse_node_series(session, series)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(InvoiceSeries).values(series=series, last_number=0).on_conflict_do_nothing()
    )
    bumped = session.execute(
        update(InvoiceSeries)
        .where(InvoiceSeries.series == series)
        .values(last_number=InvoiceSeries.last_number + 1)
        .returning(InvoiceSeries.last_number)
    ).scalar_one()
    return int(bumped)


def issue_invoice(
    session: Session, *, folio_id: str, payer: Payer, series: str, now: datetime,
    number: int | None = None, invoice_id: str | None = None,
) -> Invoice:
    """Invoice every charge of the folio for this payer not yet invoiced. ``number`` and
    ``invoice_id``: a property node's invoice, numbered by the node (node_series.py)."""
    folio = get_folio(session, folio_id)
    pending = select(Charge).where(
        Charge.folio_id == folio.id, Charge.payer == payer.value, Charge.invoice_id.is_(None)
    ).order_by(Charge.posted_at, Charge.id)
    if session.get_bind().dialect.name == "postgresql":
        pending = pending.with_for_update()
    charges = list(session.scalars(pending))
    if not charges:
        raise BillingConflict(f"nothing to invoice for the {payer.value} on folio {folio.id}")
    lines = [_line(charge) for charge in charges]
    invoice = _invoice(session, folio=folio, payer=payer, series=series, lines=lines, now=now,
                       number=number, invoice_id=invoice_id)
    for charge in charges:
        charge.invoice_id = invoice.id
    session.flush()
    return invoice


def issue_credit_note(session: Session, *, invoice_id: str, series: str, now: datetime) -> Invoice:
    """Cancel an invoice in full; its charges become invoiceable again (after adjustment)."""
    original = get_invoice(session, invoice_id)
    if original.kind != "invoice":
        raise BillingConflict("only an invoice can be credited")
    if session.scalar(select(Invoice.id).where(Invoice.corrects_id == original.id)):
        raise BillingConflict(f"invoice {original.id} already has a credit note")
    folio = get_folio(session, original.folio_id)
    lines = [_negated(line) for line in original.lines]
    note = _invoice(session, folio=folio, payer=Payer(original.payer), series=series,
                    lines=lines, now=now, corrects=original)
    for charge in session.scalars(select(Charge).where(Charge.invoice_id == original.id)):
        charge.invoice_id = None
    session.flush()
    return note


def get_invoice(session: Session, invoice_id: str) -> Invoice:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise InvoiceNotFound(f"no invoice {invoice_id}")
    return invoice


def _invoice(
    session: Session, *, folio: Folio, payer: Payer, series: str, lines: list[dict[str, Any]],
    now: datetime, corrects: Invoice | None = None, number: int | None = None,
    invoice_id: str | None = None,
) -> Invoice:
    taxes: dict[str, int] = {}
    for line in lines:
        for code, minor in line["taxes"].items():
            taxes[code] = taxes.get(code, 0) + minor
    net = sum(line["net_minor"] for line in lines)
    tax = sum(taxes.values())
    invoice = Invoice(
        id=invoice_id or new_id(), series=series,
        number=number if number is not None else next_number(session, series),
        kind="credit_note" if corrects else "invoice",
        corrects_id=corrects.id if corrects else None, folio_id=folio.id, payer=payer.value,
        bill_to=(
            {**corrects.bill_to, "corrects_number": formatted_number(corrects)}
            if corrects else _bill_to(folio, payer)
        ),
        language=folio.guest_language, currency=folio.currency, net_minor=net, tax_minor=tax,
        total_minor=net + tax, lines=lines, taxes=taxes, issued_at=now,
    )
    session.add(invoice)
    session.flush()
    return invoice


def _bill_to(folio: Folio, payer: Payer) -> dict[str, Any]:
    if payer is Payer.COMPANY:
        return {"name": folio.company_name or "", "tax_id": folio.company_tax_id or ""}
    return {"name": folio.guest_name, "tax_id": ""}


def _line(charge: Charge) -> dict[str, Any]:
    return {
        "charge_id": charge.id, "kind": charge.kind, "description": charge.description,
        "discount": charge.discount, "quantity": charge.quantity,
        "unit_minor": charge.unit_minor if not charge.discount else -charge.unit_minor,
        "night": charge.night.isoformat() if charge.night else None,
        "net_minor": charge.net_minor, "tax_minor": charge.tax_minor,
        "gross_minor": charge.gross_minor, "taxes": dict(charge.taxes),
    }


def _negated(line: dict[str, Any]) -> dict[str, Any]:
    negated = dict(line)
    for key in ("unit_minor", "net_minor", "tax_minor", "gross_minor"):
        negated[key] = -line[key]
    negated["taxes"] = {code: -minor for code, minor in line["taxes"].items()}
    return negated


def formatted_number(invoice: Invoice) -> str:
    return f"{invoice.series}-{invoice.number:06d}"
