
"""A payment receipt as PDF (fpdf2, the invoices' embedded Unicode font, so Chinese shows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF

from cloud.billing.fonts import FontChoice

FAMILY = "posada-unicode"
LABELS = {
    "en": {"title": "Payment receipt", "guest": "Guest", "stay": "Stay", "paid": "Amount paid",
           "when": "Paid at", "reference": "Reference"},
    "es": {"title": "Recibo de pago", "guest": "Huésped", "stay": "Estancia", "paid": "Importe pagado",
           "when": "Fecha de pago", "reference": "Referencia"},
    "zh": {"title": "付款收据", "guest": "客人", "stay": "入住", "paid": "已付金额",
           "when": "付款时间", "reference": "参考号"},
}


@dataclass(frozen=True, slots=True)
class Receipt:
    hotel: str
    guest: str
    stay: str
    amount: str
    paid_at: datetime
    reference: str
    language: str


def render_receipt(receipt: Receipt, *, font: FontChoice) -> bytes:
    text = LABELS.get(receipt.language, LABELS["en"])
    pdf = FPDF(format="A5")
    pdf.set_title(text["title"])
    pdf.set_creator("Posada")
    pdf.add_font(FAMILY, fname=str(font.path), collection_font_number=font.face)
    pdf.add_page()
    pdf.set_font(FAMILY, size=15)
    pdf.cell(0, 9, receipt.hotel, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(size=12)
    pdf.cell(0, 8, text["title"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(size=10)
    for key, value in (("guest", receipt.guest), ("stay", receipt.stay), ("paid", receipt.amount),
                       ("when", receipt.paid_at.strftime("%Y-%m-%d %H:%M UTC")),
                       ("reference", receipt.reference)):
        pdf.cell(40, 7, text[key])
        pdf.cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
