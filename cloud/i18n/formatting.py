"""Dates, times and money for a locale and a property's time zone."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime, get_time_format
from babel.numbers import format_currency, format_decimal, get_currency_precision

from cloud.i18n.catalog import babel_locale


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def when(value: datetime | None, *, tag: str, time_zone: str, style: str = "medium") -> str:
    """An instant shown in the property's zone, e.g. ``25 nov 2026, 15:04:05``."""
    if value is None:
        return ""
    return format_datetime(value, format=style, tzinfo=zone(time_zone), locale=babel_locale(tag))


@lru_cache(maxsize=32)
def _time_pattern(tag: str) -> Any:
    """The locale's medium time pattern, parsed once (a board renders a thousand times)."""
    return get_time_format("medium", locale=babel_locale(tag))


def clock(value: datetime | None, *, tag: str, time_zone: str) -> str:
    """The time of day of an instant in the property's zone, e.g. ``15:04:05``."""
    if value is None:
        return ""
    return str(_time_pattern(tag).apply(value.astimezone(zone(time_zone)), babel_locale(tag)))


def day(value: date | None, *, tag: str, style: str = "medium") -> str:
    if value is None:
        return ""
    return format_date(value, format=style, locale=babel_locale(tag))


def money(minor: int, currency: str, *, tag: str) -> str:
    """Integer minor units as the locale writes the amount (``1.234,50 €``, ``€1,234.50``)."""
    digits = get_currency_precision(currency)
    amount = Decimal(minor).scaleb(-digits)
    return format_currency(amount, currency, locale=babel_locale(tag))


def kwh(value: float, *, tag: str) -> str:
    """Energy in kWh as the locale writes numbers, two decimals (``1.234,50 kWh``)."""
    return f"{format_decimal(value, format='#,##0.00', locale=babel_locale(tag))} kWh"
