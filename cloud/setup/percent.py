"""Tax percents as the document writes them ("21", "7.25") and as the database keeps them (ppm)."""

from __future__ import annotations

from decimal import Decimal

PPM_PER_PERCENT = 10_000


def percent_ppm(text: str) -> int:
    """Parts per million of a percent text the document's pattern accepted (at most 4 decimals)."""
    return int(Decimal(text) * PPM_PER_PERCENT)


def percent_text(ppm: int) -> str:
    """The shortest text of a ppm rate: 210000 -> "21", 72500 -> "7.25"."""
    value = Decimal(ppm) / PPM_PER_PERCENT
    text = format(value.normalize(), "f")
    return text
