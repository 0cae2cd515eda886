from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.core.money import Money, MoneyError, div_round_half_away, total

amounts = st.integers(min_value=-10**12, max_value=10**12)


def test_parse_reads_exact_decimal_text_in_minor_units() -> None:
    assert Money.parse("12.50", "EUR") == Money(1250, "EUR")
    assert Money.parse("1200", "JPY") == Money(1200, "JPY")
    assert Money.parse("1.234", "KWD") == Money(1234, "KWD")


@pytest.mark.parametrize("text", ["12.505", "abc", "NaN", "Infinity", ""])
def test_parse_refuses_what_is_not_an_exact_amount(text: str) -> None:
    with pytest.raises(MoneyError):
        Money.parse(text, "EUR")


def test_floats_and_unknown_currencies_are_refused() -> None:
    with pytest.raises(MoneyError):
        Money(12.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(1, "XXX")


def test_adding_different_currencies_is_refused() -> None:
    with pytest.raises(MoneyError):
        Money(1, "EUR") + Money(1, "USD")


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [(5, 2, 3), (-5, 2, -3), (4, 3, 1), (-4, 3, -1), (7, 2, 4), (1, 3, 0), (0, 7, 0)],
)
def test_rounding_is_half_away_from_zero(num: int, den: int, expected: int) -> None:
    assert div_round_half_away(num, den) == expected


@given(amounts, st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=8))
def test_allocate_parts_add_up_exactly_and_stay_within_one_unit(
    minor: int, weights: list[int]
) -> None:
    if sum(weights) == 0:
        weights = [*weights[:-1], 1]
    parts = Money(minor, "EUR").allocate(weights)
    assert sum(p.minor for p in parts) == minor
    for part, weight in zip(parts, weights, strict=True):
        exact = minor * weight / sum(weights)
        assert abs(part.minor - exact) < 1


@given(amounts)
def test_decimal_text_round_trips_through_parse(minor: int) -> None:
    for currency in ("EUR", "JPY", "KWD"):
        money = Money(minor, currency)
        assert Money.parse(money.decimal_text(), currency) == money


def test_total_sums_in_one_currency() -> None:
    assert total([Money(1, "MXN"), Money(2, "MXN")], "MXN") == Money(3, "MXN")


@pytest.mark.parametrize(("language", "country", "expected"), [
    ("es", "MX", "$1,500.00"),          # a Mexican property shows pesos as Mexicans write them
    ("es", "ES", "1.500,00\xa0MXN"),
    ("es", None, "1.500,00\xa0MXN"),
    ("en", "ZZ", "MX$1,500.00"),        # an unknown country falls back to the language
    ("zh", "CN", "MX$1,500.00"),
])
def test_amounts_read_as_the_property_country_writes_them(
    language: str, country: str | None, expected: str
) -> None:
    from cloud.billing.amount_text import amount_text

    assert amount_text(Money(150000, "MXN"), language, country) == expected
