"""The KPI report as an XLSX workbook (openpyxl): the same columns and values as the CSV."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font


def workbook(records: Sequence[dict[str, Any]], columns: Sequence[str], *, title: str) -> bytes:
    """One sheet; money stays in minor units (integers), percentages as numbers with two decimals.
    Text that a spreadsheet would read as a formula is written as plain text."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(columns))
    for record in records:
        sheet.append([_cell(record.get(c)) for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str) and value.startswith("="):
        return "'" + value
    return value
