"""Money as a person reads it in their language (Babel's currency formats)."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency

from cloud.billing.money import Money, exponent

BABEL_LOCALES = {"en": "en", "es": "es", "zh": "zh_Hans_CN"}


def amount_text(money: Money, language: str) -> str:
    value = Decimal(money.minor).scaleb(-exponent(money.currency))
    return format_currency(value, money.currency, locale=BABEL_LOCALES.get(language, "en"))
