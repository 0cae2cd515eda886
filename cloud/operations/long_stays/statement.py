# ruff: noqa: RUF001  (full-width punctuation is correct Chinese typography)
"""The monthly (or weekly) statement of a long stay, emailed to the guest in their language through
the notification outbox, once per bill."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from cloud.catalog.models import Property
from cloud.core.money import Money
from cloud.notify.outbox import enqueue
from cloud.operations.long_stays.models import ContractBill
from cloud.reservations.models import Reservation

if TYPE_CHECKING:
    from cloud.operations.long_stays.billing import Standing

TEXTS = {
    "en": (
        "Your statement from {hotel}, {start} to {end}",
        "Hello {name},\n\nInvoice {invoice} for {start} to {end}:\n  rent {rent}\n  services {services}\n"
        "  utilities {utilities}\n  total with taxes {gross}\n\n"
        "Balance owed: {balance}. In arrears: {arrears}.\n",
    ),
    "es": (
        "Su extracto de {hotel}, del {start} al {end}",
        "Hola {name}:\n\nFactura {invoice} del {start} al {end}:\n  alquiler {rent}\n  servicios {services}\n"
        "  suministros {utilities}\n  total con impuestos {gross}\n\n"
        "Saldo pendiente: {balance}. Atrasos: {arrears}.\n",
    ),
    "zh": (
        "{hotel} 对账单：{start} 至 {end}",
        "{name}您好：\n\n发票 {invoice}（{start} 至 {end}）：\n  租金 {rent}\n  服务费 {services}\n"
        "  水电费 {utilities}\n"
        "  含税合计 {gross}\n\n应付余额：{balance}。逾期欠款：{arrears}。\n",
    ),
}


def statement_text(
    language: str, *, hotel: str, name: str, invoice: str, bill: ContractBill, standing: Standing
) -> tuple[str, str]:
    lang = language if language in TEXTS else "en"
    subject, body = TEXTS[lang]

    def money(minor: int) -> str:
        return f"{Money(minor, bill.currency).decimal_text()} {bill.currency}"

    values = {
        "hotel": hotel,
        "name": name,
        "invoice": invoice,
        "start": bill.period_start.isoformat(),
        "end": bill.period_end.isoformat(),
        "rent": money(bill.rent_minor),
        "services": money(bill.services_minor),
        "utilities": money(bill.utilities_minor),
        "gross": money(bill.gross_minor),
        "balance": money(standing.balance_minor),
        "arrears": money(standing.arrears_minor),
    }
    return subject.format(**values), body.format(**values)


def queue_statement(
    session: Session,
    res: Reservation,
    prop: Property,
    *,
    bill: ContractBill,
    invoice_number: str,
    standing: Standing,
    now: datetime,
) -> bool:
    """False when the guest gave no email address (the desk prints the statement instead)."""
    if not res.guest_email:
        return False
    lang = res.guest_language if res.guest_language in TEXTS else "en"
    subject, text = statement_text(
        lang, hotel=prop.name, name=res.guest_name, invoice=invoice_number, bill=bill, standing=standing
    )
    return enqueue(
        session,
        channel="email",
        recipient=res.guest_email,
        template="long_stay_statement",
        language=lang,
        payload={"text": text, "subject": subject, "params": [], "attachments": []},
        dedupe_key=f"long-stay-statement:{bill.id}",
        now=now,
        site=prop.slug,
    )
