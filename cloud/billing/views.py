"""JSON bodies of folios, payments and invoices as the API shows them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing.invoicing import formatted_number
from cloud.billing.models import Charge, Folio, Invoice, Payment
from cloud.billing.schemas import MoneyOut, dump
from cloud.billing.service import balances
from cloud.core.money import Money

FOLIO_FIELDS = ("id", "site", "reservation_id", "kind", "master_folio_id", "routed_kinds",
                "currency", "guest_name", "guest_language", "guest_phone", "company_name",
                "company_tax_id", "arrival_at", "checkout_at", "departed_at", "status")
CHARGE_FIELDS = ("id", "origin_folio_id", "payer", "kind", "description", "discount",
                 "quantity", "unit_minor", "net_minor", "tax_minor", "gross_minor", "taxes",
                 "night", "invoice_id", "posted_at")
PAYMENT_FIELDS = ("id", "folio_id", "payer", "direction", "method", "stage", "amount_minor",
                  "currency", "status", "provider", "provider_ref", "refund_of", "created_at",
                  "settled_at")


def folio_body(session: Session, folio: Folio) -> dict[str, Any]:
    body = dump(folio, FOLIO_FIELDS)
    body["balances"] = {payer.value: MoneyOut.of(amount).model_dump()
                        for payer, amount in balances(session, folio).items()}
    charges = session.scalars(select(Charge).where(Charge.folio_id == folio.id)
                              .order_by(Charge.posted_at, Charge.id))
    body["charges"] = [dump(c, CHARGE_FIELDS) for c in charges]
    pays = session.scalars(select(Payment).where(Payment.folio_id == folio.id)
                           .order_by(Payment.created_at, Payment.id))
    body["payments"] = [payment_body(p) for p in pays]
    invoices = session.scalars(select(Invoice).where(Invoice.folio_id == folio.id)
                               .order_by(Invoice.issued_at, Invoice.id))
    body["invoices"] = [{"id": i.id, "number": formatted_number(i), "kind": i.kind,
                         "payer": i.payer, "total_minor": i.total_minor} for i in invoices]
    return body


def payment_body(payment: Payment) -> dict[str, Any]:
    body = dump(payment, PAYMENT_FIELDS)
    body["amount"] = MoneyOut.of(Money(payment.amount_minor, payment.currency)).model_dump()
    return body


def invoice_body(invoice: Invoice) -> dict[str, Any]:
    body = dump(invoice, ("id", "series", "kind", "corrects_id", "folio_id", "payer",
                          "bill_to", "language", "currency", "net_minor", "tax_minor",
                          "total_minor", "lines", "taxes", "issued_at"))
    body["number"] = formatted_number(invoice)
    body["sequence"] = invoice.number
    body["total"] = MoneyOut.of(Money(invoice.total_minor, invoice.currency)).model_dump()
    body["pdf"] = f"/api/v1/invoices/{invoice.id}/pdf"
    return body
