"""Money as a person reads it in their language (Babel's currency formats)."""

from __future__ import annotations

from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency

from cloud.core.money import Money, exponent

BABEL_LOCALES = {"en": "en", "es": "es", "zh": "zh_Hans_CN"}


def locale_for(language: str, country: str | None = None) -> str:
    """The property's country refines the language: es + MX gives "$1,500.00", es + ES
    gives "1.500,00 €"."""
    base = BABEL_LOCALES.get(language, "en")
    if country and language != "zh":
        try:
            return str(Locale.parse(f"{base}_{country.upper()}"))
        except (UnknownLocaleError, ValueError):
            pass
    return base


def amount_text(money: Money, language: str, country: str | None = None) -> str:
    value = Decimal(money.minor).scaleb(-exponent(money.currency))
    return format_currency(value, money.currency, locale=locale_for(language, country))
