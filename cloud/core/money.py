"""Money as integer minor units with its currency; never floats.

Rounding rule (one for the whole area): amounts that fall between two minor units are
rounded half away from zero ("commercial" rounding), so +2.5 -> 3 and -2.5 -> -3. Negative
lines (discounts, credit notes) therefore mirror positive ones exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# ISO 4217: code -> (minor-unit exponent, numeric code). Numeric codes feed EMV QR tag 53.
CURRENCIES: dict[str, tuple[int, str]] = {
    "ARS": (2, "032"), "AUD": (2, "036"), "BHD": (3, "048"), "BRL": (2, "986"),
    "CAD": (2, "124"), "CHF": (2, "756"), "CLP": (0, "152"), "CNY": (2, "156"),
    "COP": (2, "170"), "CRC": (2, "188"), "DOP": (2, "214"), "EUR": (2, "978"),
    "GBP": (2, "826"), "GTQ": (2, "320"), "HKD": (2, "344"), "IDR": (2, "360"),
    "INR": (2, "356"), "JOD": (3, "400"), "JPY": (0, "392"), "KRW": (0, "410"),
    "KWD": (3, "414"), "MXN": (2, "484"), "MYR": (2, "458"), "NZD": (2, "554"),
    "OMR": (3, "512"), "PEN": (2, "604"), "PHP": (2, "608"), "SGD": (2, "702"),
    "THB": (2, "764"), "TND": (3, "788"), "USD": (2, "840"), "UYU": (2, "858"),
    "VND": (0, "704"),
}


class MoneyError(ValueError):
    """An amount or currency that cannot be money."""


def exponent(currency: str) -> int:
    try:
        return CURRENCIES[currency][0]
    except KeyError:
        raise MoneyError(f"unknown currency {currency!r}") from None


def numeric_code(currency: str) -> str:
    exponent(currency)
    return CURRENCIES[currency][1]


def div_round_half_away(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, in exact integer arithmetic."""
    if denominator <= 0:
        raise MoneyError("denominator must be positive")
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if type(self.minor) is not int:
            raise MoneyError(f"minor units must be an int, got {type(self.minor).__name__}")
        exponent(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, amount: str, currency: str) -> Money:
        """Exact decimal text ("12.50") to money; refuses more decimals than the currency has."""
        try:
            value = Decimal(amount.strip())
        except InvalidOperation:
            raise MoneyError(f"not an amount: {amount!r}") from None
        if not value.is_finite():
            raise MoneyError(f"not an amount: {amount!r}")
        scaled = value.scaleb(exponent(currency))
        if scaled != scaled.to_integral_value():
            raise MoneyError(f"{amount!r} has more decimals than {currency} allows")
        return cls(int(scaled), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError("can only combine Money with Money")
        if other.currency != self.currency:
            raise MoneyError(f"currency mismatch: {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def times(self, quantity: int) -> Money:
        if type(quantity) is not int:
            raise MoneyError("quantity must be an int")
        return Money(self.minor * quantity, self.currency)

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        """Split into parts proportional to weights; parts add up exactly (largest remainder)."""
        if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
            raise MoneyError("weights must be non-negative with a positive sum")
        total = sum(weights)
        sign = -1 if self.minor < 0 else 1
        amount = abs(self.minor)
        shares = [amount * w // total for w in weights]
        remainders = [amount * w % total for w in weights]
        order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
        for i in order[: amount - sum(shares)]:
            shares[i] += 1
        return [Money(sign * s, self.currency) for s in shares]

    def decimal_text(self) -> str:
        """Plain decimal text with the currency's exponent, e.g. "-12.50" or "1200"."""
        exp = exponent(self.currency)
        sign = "-" if self.minor < 0 else ""
        whole, frac = divmod(abs(self.minor), 10**exp)
        return f"{sign}{whole}.{frac:0{exp}d}" if exp else f"{sign}{whole}"

    def __str__(self) -> str:
        return f"{self.decimal_text()} {self.currency}"


def total(amounts: Iterable[Money], currency: str) -> Money:
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result
