"""Invoice and credit note PDFs in the guest's language (fpdf2, one embedded Unicode font)."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from cloud.billing.amount_text import amount_text
from cloud.billing.fonts import FontChoice
from cloud.billing.invoice_texts import labels
from cloud.billing.models import Invoice
from cloud.core.money import Money

FAMILY = "posada-unicode"


def render_invoice(
    invoice: Invoice, *, number: str, issuer: dict[str, str], font: FontChoice
) -> bytes:
    """The invoice as PDF bytes; every text is drawn with the embedded font, so CJK shows."""
    text = labels(invoice.language)
    pdf = FPDF(format="A4")
    pdf.set_title(f"{text[invoice.kind]} {number}")
    pdf.set_creator("Posada")
    pdf.add_font(FAMILY, fname=str(font.path), collection_font_number=font.face)
    pdf.set_font(FAMILY, size=10)
    pdf.add_page()
    _header(pdf, invoice, number=number, issuer=issuer, text=text)
    money = _money(invoice, issuer.get("country") or None)
    _lines(pdf, invoice, text, money)
    _totals(pdf, invoice, text, money)
    return bytes(pdf.output())


def _header(pdf: FPDF, invoice: Invoice, *, number: str, issuer: dict[str, str],
            text: dict[str, str]) -> None:
    pdf.set_font(size=16)
    pdf.cell(0, 9, issuer.get("name", ""), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(size=9)
    for key in ("address", "tax_id"):
        if issuer.get(key):
            prefix = f"{text['tax_id']}: " if key == "tax_id" else ""
            pdf.multi_cell(0, 5, prefix + issuer[key], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(size=14)
    pdf.cell(0, 8, f"{text[invoice.kind]}  {number}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(size=10)
    pdf.cell(0, 6, f"{text['date']}: {invoice.issued_at.date().isoformat()}",
             new_x="LMARGIN", new_y="NEXT")
    if invoice.corrects_id:
        pdf.cell(0, 6, f"{text['corrects']}: {invoice.bill_to.get('corrects_number', '')}"
                 f" ({invoice.corrects_id})", new_x="LMARGIN", new_y="NEXT")
    bill_to = invoice.bill_to.get("name", "")
    if invoice.bill_to.get("tax_id"):
        bill_to += f"  ({text['tax_id']}: {invoice.bill_to['tax_id']})"
    pdf.cell(0, 6, f"{text['bill_to']}: {bill_to}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _lines(pdf: FPDF, invoice: Invoice, text: dict[str, str], money: Any) -> None:
    heading = FontFace(emphasis=None, fill_color=(230, 230, 230))
    widths = (70, 14, 26, 26, 24, 30)
    with pdf.table(col_widths=widths, headings_style=heading, line_height=6,
                   text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")) as table:
        table.row([text[k] for k in ("description", "qty", "unit", "net", "tax", "total")])
        for line in invoice.lines:
            table.row([
                _describe(line, text), str(line["quantity"]), money(line["unit_minor"]),
                money(line["net_minor"]), money(line["tax_minor"]), money(line["gross_minor"]),
            ])
    pdf.ln(4)


def _describe(line: dict[str, Any], text: dict[str, str]) -> str:
    kind = text.get(line["kind"], line["kind"])
    parts = [f"{text['discount']}: {kind}" if line["discount"] else kind]
    if line["description"]:
        parts.append(line["description"])
    if line.get("night"):
        parts.append(f"{text['night']} {line['night']}")
    return " - ".join(parts)


def _totals(pdf: FPDF, invoice: Invoice, text: dict[str, str], money: Any) -> None:
    rows = [(text["subtotal"], money(invoice.net_minor))]
    rows += [(f"{text['tax']} {code}", money(minor)) for code, minor in invoice.taxes.items()]
    rows.append((text["total"], money(invoice.total_minor)))
    for label, value in rows:
        pdf.set_x(pdf.l_margin + 100)
        pdf.cell(50, 6, label, align="R")
        pdf.cell(40, 6, value, align="R", new_x="LMARGIN", new_y="NEXT")


def _money(invoice: Invoice, country: str | None) -> Any:
    def fmt(minor: int) -> str:
        return amount_text(Money(minor, invoice.currency), invoice.language, country)

    return fmt
