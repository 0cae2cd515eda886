"""Chain promotions' pure rules: derived prices keep the base plan's precedence night by night,
price rules round as money does, codes have one spelling and one answer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.catalog.pricing import PriceRule, night_rule
from cloud.loyalty.promotions.terms import CodeFacts, adjusted, derived, digest, new_code, normal, usable

pytestmark = pytest.mark.unit

BASE = (
    PriceRule(9000),
    PriceRule(11000, weekdays=frozenset({4, 5})),
    PriceRule(13500, season_start=date(2027, 6, 15), season_end=date(2027, 9, 15), min_stay=2),
    PriceRule(
        15500, season_start=date(2027, 6, 15), season_end=date(2027, 9, 15), weekdays=frozenset({4, 5})
    ),
)

days = st.integers(min_value=0, max_value=400).map(lambda n: date(2027, 1, 1) + timedelta(days=n))
weekday_sets = st.one_of(st.none(), st.frozensets(st.integers(0, 6), min_size=1))


@settings(max_examples=60, deadline=None)
@given(start=days, length=st.integers(1, 200), weekdays=weekday_sets)
def test_derived_prices_give_every_promotion_night_the_base_plan_s_own_price(
    start: date, length: int, weekdays: frozenset[int] | None
) -> None:
    end = start + timedelta(days=length)
    rules = derived(BASE, start=start, end=end, weekdays=weekdays)
    for n in range(-3, length + 3):
        night = start + timedelta(days=n)
        matching = [r for r in rules if r.applies(night)]
        inside = start <= night < end and (weekdays is None or night.weekday() in weekdays)
        assert len(matching) == (1 if inside else 0)  # never two rules for one night: no ties
        if inside:
            base = night_rule(BASE, night)
            assert base is not None and matching[0].amount_minor == base.amount_minor
            assert matching[0].min_stay == base.min_stay


def test_price_rules_round_half_up_and_never_go_below_zero() -> None:
    assert adjusted(11000, rule="percent_off", value=20) == 8800
    assert adjusted(999, rule="percent_off", value=15) == 849  # 849.15
    assert adjusted(5, rule="percent_off", value=50) == 3  # 2.5 rounds up
    assert adjusted(9000, rule="amount_off", value=10000) == 0
    assert adjusted(9000, rule="fixed", value=5000) == 5000
    with pytest.raises(ValueError):
        adjusted(9000, rule="free", value=0)


def test_a_code_has_one_spelling_and_a_keyed_digest() -> None:
    code = new_code()
    assert len(code) == 11 and code[5] == "-"
    assert normal(code.lower().replace("-", " ")) == code.replace("-", "")
    assert digest("s1", code) == digest("s1", code.lower()) != digest("s2", code)
    assert normal("ab") == "" and normal("ñandú!!") == "" and normal("x" * 30) == ""


FACTS = CodeFacts(True, True, True, "~vip", date(2027, 4, 1), date(2027, 5, 1), date(2027, 4, 30), 1)


@pytest.mark.parametrize(
    ("change", "stay", "ok"),
    [
        ({}, (date(2027, 4, 6), date(2027, 4, 8)), True),
        ({"known": False}, (date(2027, 4, 6), date(2027, 4, 8)), False),
        ({"site_active": False}, (date(2027, 4, 6), date(2027, 4, 8)), False),
        ({"promotion_active": False}, (date(2027, 4, 6), date(2027, 4, 8)), False),
        ({"uses_left": 0}, (date(2027, 4, 6), date(2027, 4, 8)), False),
        ({"valid_until": date(2027, 3, 1)}, (date(2027, 4, 6), date(2027, 4, 8)), False),
        ({}, (date(2027, 4, 29), date(2027, 5, 2)), False),  # a night past the promotion
        ({}, (date(2027, 3, 31), date(2027, 4, 2)), False),
    ],
)
def test_a_code_is_usable_only_when_every_check_holds(
    change: dict[str, object], stay: tuple[date, date], ok: bool
) -> None:
    from dataclasses import replace

    facts = replace(FACTS, **change)  # type: ignore[arg-type]
    assert usable(facts, today=date(2027, 3, 15), arrival=stay[0], departure=stay[1], plan=None) is ok
    assert not usable(
        FACTS, today=date(2027, 3, 15), arrival=date(2027, 4, 6), departure=date(2027, 4, 8), plan="flex"
    )
