"""Taxes per property: several rates, prices either tax-inclusive or tax-exclusive.

Rounding rules, explicit:
- Taxes are computed per folio line, never on a running total.
- Exclusive prices: each rate's tax = line amount x rate, rounded half away from zero to the
  currency's minor unit; gross = net + sum of taxes.
- Inclusive prices: net = gross / (1 + sum of rates), rounded half away from zero; the tax
  contained (gross - net) is split between the rates in proportion to the rates, largest
  remainder first, so net + taxes == gross to the minor unit, always.
Rates are parts per million (16% = 160000) so that 7.25% is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from cloud.core.money import Money, MoneyError, div_round_half_away

PPM = 1_000_000


@dataclass(frozen=True, slots=True)
class TaxRate:
    code: str
    ppm: int
    applies_to: frozenset[str] = frozenset()  # charge kinds; empty means every kind

    def __post_init__(self) -> None:
        if not self.code or type(self.ppm) is not int or not 0 <= self.ppm <= PPM:
            raise MoneyError(f"bad tax rate {self.code!r}: {self.ppm}")

    @classmethod
    def percent(cls, code: str, percent: str, applies_to: Sequence[str] = ()) -> TaxRate:
        try:
            ppm = Decimal(percent) * 10_000
        except InvalidOperation:
            raise MoneyError(f"bad tax percent {percent!r}") from None
        if ppm != ppm.to_integral_value():
            raise MoneyError(f"tax percent {percent!r} is finer than 0.0001%")
        return cls(code, int(ppm), frozenset(applies_to))

    def applies(self, kind: str) -> bool:
        return not self.applies_to or kind in self.applies_to


@dataclass(frozen=True, slots=True)
class TaxPolicy:
    inclusive: bool
    rates: tuple[TaxRate, ...] = field(default_factory=tuple)

    def rates_for(self, kind: str) -> tuple[TaxRate, ...]:
        return tuple(rate for rate in self.rates if rate.applies(kind))


@dataclass(frozen=True, slots=True)
class TaxedAmount:
    net: Money
    taxes: tuple[tuple[str, Money], ...]
    gross: Money

    @property
    def tax(self) -> Money:
        result = Money.zero(self.net.currency)
        for _, amount in self.taxes:
            result = result + amount
        return result


def apply_taxes(amount: Money, rates: Sequence[TaxRate], *, inclusive: bool) -> TaxedAmount:
    """Split a line amount into net, taxes per rate and gross under the rules above."""
    if not rates:
        return TaxedAmount(amount, (), amount)
    if inclusive:
        return _inclusive(amount, rates)
    taxes = tuple(
        (rate.code, Money(div_round_half_away(amount.minor * rate.ppm, PPM), amount.currency))
        for rate in rates
    )
    gross = Money(amount.minor + sum(t.minor for _, t in taxes), amount.currency)
    return TaxedAmount(amount, taxes, gross)


def _inclusive(gross: Money, rates: Sequence[TaxRate]) -> TaxedAmount:
    total_ppm = sum(rate.ppm for rate in rates)
    net = Money(div_round_half_away(gross.minor * PPM, PPM + total_ppm), gross.currency)
    contained = gross - net
    if total_ppm == 0:
        parts = [Money.zero(gross.currency) for _ in rates]
    else:
        parts = contained.allocate([rate.ppm for rate in rates])
    return TaxedAmount(net, tuple(zip((r.code for r in rates), parts, strict=True)), gross)
