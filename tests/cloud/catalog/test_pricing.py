"""Restrictions in the pure quote: each rule refuses with its reason, in the stated order."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.catalog.pricing import PriceRule, RatePolicy, Restricted, StayRule, quote, restriction
from cloud.core.nights import Stay

RULES = [PriceRule(10000)]
JULY = StayRule(date(2027, 7, 1), date(2027, 8, 1), min_stay=3)


def _stay(arrival: str, nights: int) -> Stay:
    start = date.fromisoformat(arrival)
    return Stay(start, start + timedelta(days=nights))


@pytest.mark.parametrize(
    ("rules", "stay", "reason"),
    [
        ([JULY], _stay("2027-07-30", 2), "needs at least 3 nights"),
        (
            [StayRule(date(2027, 7, 30), date(2027, 7, 31), closed_to_arrival=True)],
            _stay("2027-07-30", 4),
            "closed to arrival on 2027-07-30",
        ),
        (
            [StayRule(date(2027, 8, 2), date(2027, 8, 3), closed_to_departure=True)],
            _stay("2027-07-30", 3),
            "closed to departure on 2027-08-02",
        ),
        (
            [StayRule(date(2027, 8, 1), date(2027, 8, 2), stop_sell=True)],
            _stay("2027-07-30", 5),
            "stop sell on the night of 2027-08-01",
        ),
        (
            [StayRule(date(2027, 7, 1), date(2027, 8, 1), max_stay=7)],
            _stay("2027-07-30", 8),
            "7 nights at most",
        ),
    ],
)
def test_each_restriction_refuses_with_its_reason(rules: list[StayRule], stay: Stay, reason: str) -> None:
    with pytest.raises(Restricted, match=reason):
        quote(RULES, stay, currency="EUR", policy=RatePolicy(), restrictions=rules)


def test_stop_sell_is_named_before_a_short_stay_and_rules_outside_the_stay_do_not_apply() -> None:
    rules = [JULY, StayRule(date(2027, 7, 10), date(2027, 7, 11), stop_sell=True)]
    assert "stop sell" in (restriction(rules, _stay("2027-07-10", 1)) or "")
    assert (
        restriction(rules, _stay("2027-06-28", 3)) is None
    )  # arrives before July: July's minimum is not its own
    assert (
        quote(
            RULES, _stay("2027-07-11", 3), currency="EUR", policy=RatePolicy(), restrictions=rules
        ).total_minor
        == 30000
    )


def test_a_rule_concerns_its_plan_and_type_or_every_one_when_unnamed() -> None:
    assert StayRule(date(2027, 1, 1), date(2027, 1, 2)).concerns(plan_id=1, type_id=2)
    assert StayRule(date(2027, 1, 1), date(2027, 1, 2), plan_id=1).concerns(plan_id=1, type_id=2)
    assert not StayRule(date(2027, 1, 1), date(2027, 1, 2), type_id=3).concerns(plan_id=1, type_id=2)


@given(
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=1, max_value=20),
    st.integers(min_value=1, max_value=10),
)
def test_a_stay_passes_the_minimum_exactly_when_it_is_long_enough(
    offset: int, nights: int, least: int
) -> None:
    rule = StayRule(date(2027, 1, 1), date(2027, 2, 1), min_stay=least)
    stay = _stay((date(2027, 1, 1) + timedelta(days=offset)).isoformat(), nights)
    refused = restriction([rule], stay) is not None
    assert refused == (rule.covers(stay.arrival) and nights < least)
