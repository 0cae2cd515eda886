"""The KPI report and the P&L as a PDF (fpdf2 with the embedded Unicode font billing's invoices use)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

from cloud.billing.fonts import FontChoice

FAMILY = "posada-unicode"
# the columns a landscape page holds; the CSV and XLSX carry every column
PRINTED = ("period", "rooms_available", "rooms_sold", "occupancy_pct", "room_revenue_net", "adr_net",
           "revpar_net", "total_revenue_net", "trevpar_net")
PNL_PRINTED = ("month", "site", "rooms_available", "total_revenue_net", "expense_payroll",
               "expense_utilities", "expense_supplies", "expense_maintenance", "expense_commissions",
               "channel_commissions",
               "total_expenses", "gop", "goppar")


def render(records: Sequence[dict[str, Any]], *, title: str, headings: dict[str, str], font: FontChoice,
           note: str, printed: Sequence[str] = PRINTED) -> bytes:
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_title(title)
    pdf.set_creator("Posada")
    pdf.add_font(FAMILY, fname=str(font.path), collection_font_number=font.face)
    pdf.set_font(FAMILY, size=14)
    pdf.add_page()
    pdf.cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(size=8)
    pdf.multi_cell(0, 4, note, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    with pdf.table(text_align="RIGHT", first_row_as_headings=True,
                   headings_style=FontFace(emphasis="")) as table:  # one embedded face, no bold
        table.row([headings.get(c, c) for c in printed])
        for record in records:
            table.row(["" if record.get(c) is None else str(record.get(c)) for c in printed])
    return bytes(pdf.output())
