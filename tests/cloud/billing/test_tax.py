from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.billing.tax import TaxRate, apply_taxes
from cloud.core.money import Money, MoneyError

IVA = TaxRate.percent("IVA", "16")
ISH = TaxRate.percent("ISH", "3")


def test_exclusive_rates_each_round_half_away_from_zero_per_line() -> None:
    # 10.25 x 16% = 1.64; 10.25 x 3% = 0.3075 -> 0.31
    taxed = apply_taxes(Money(1025, "MXN"), [IVA, ISH], inclusive=False)
    assert taxed.net == Money(1025, "MXN")
    assert dict(taxed.taxes) == {"IVA": Money(164, "MXN"), "ISH": Money(31, "MXN")}
    assert taxed.gross == Money(1220, "MXN")


def test_exclusive_half_unit_rounds_up_and_discount_mirrors_it() -> None:
    rate = TaxRate.percent("VAT", "10")
    assert dict(apply_taxes(Money(5, "EUR"), [rate], inclusive=False).taxes)["VAT"].minor == 1
    assert dict(apply_taxes(Money(-5, "EUR"), [rate], inclusive=False).taxes)["VAT"].minor == -1


def test_inclusive_price_splits_contained_tax_between_rates() -> None:
    # 119.00 gross at 16% + 3%: net = 11900 / 1.19 = 10000; taxes 1600 and 300
    taxed = apply_taxes(Money(11900, "MXN"), [IVA, ISH], inclusive=True)
    assert taxed.net == Money(10000, "MXN")
    assert dict(taxed.taxes) == {"IVA": Money(1600, "MXN"), "ISH": Money(300, "MXN")}


def test_inclusive_rounding_of_net_is_half_away_from_zero() -> None:
    vat = TaxRate.percent("VAT", "21")
    # 100 / 1.21 = 82.644... -> 83 ; tax 17
    taxed = apply_taxes(Money(100, "EUR"), [vat], inclusive=True)
    assert (taxed.net.minor, taxed.tax.minor) == (83, 17)


def test_fractional_percent_is_exact_and_too_fine_is_refused() -> None:
    assert TaxRate.percent("S", "7.25").ppm == 72_500
    with pytest.raises(MoneyError):
        TaxRate.percent("S", "7.123456")


rates = st.lists(st.integers(min_value=0, max_value=400_000), min_size=0, max_size=4)


@given(st.integers(min_value=-10**10, max_value=10**10), rates, st.booleans())
def test_net_plus_taxes_is_gross_to_the_minor_unit(minor: int, ppms: list[int], incl: bool) -> None:
    taxes = [TaxRate(f"T{i}", ppm) for i, ppm in enumerate(ppms)]
    taxed = apply_taxes(Money(minor, "EUR"), taxes, inclusive=incl)
    assert taxed.net + taxed.tax == taxed.gross
    assert (taxed.gross if incl else taxed.net) == Money(minor, "EUR")


@given(st.integers(min_value=0, max_value=10**10), rates)
def test_inclusive_tax_is_within_rounding_of_the_exact_value(minor: int, ppms: list[int]) -> None:
    taxes = [TaxRate(f"T{i}", ppm) for i, ppm in enumerate(ppms)]
    taxed = apply_taxes(Money(minor, "EUR"), taxes, inclusive=True)
    exact_net = minor * 1_000_000 / (1_000_000 + sum(ppms))
    assert abs(taxed.net.minor - exact_net) <= 0.5 + 1e-6
