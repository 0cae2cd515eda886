"""Pure arithmetic of lots and rules: redemption order, reversal limits, expiry, tiers, earning."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.loyalty.points import LotView, NotEnoughPoints, draw, expired, take_back
from cloud.loyalty.rules import EarningRules, Promotion, StayFacts, expiry_of, stay_points, tier_for

pytestmark = pytest.mark.unit
TODAY = date(2027, 6, 1)


def test_redemption_draws_from_the_lot_expiring_first_and_skips_expired_lots() -> None:
    lots = [
        LotView("a", 500, date(2028, 1, 1)),
        LotView("b", 300, date(2027, 7, 1)),
        LotView("c", 900, date(2027, 5, 31)),
    ]
    assert [(d.lot_id, d.points) for d in draw(lots, points=600, today=TODAY)] == [("b", 300), ("a", 300)]
    with pytest.raises(NotEnoughPoints):
        draw(lots, points=801, today=TODAY)
    assert [(d.lot_id, d.points) for d in expired(lots, today=TODAY)] == [("c", 900)]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=1_000), max_size=6), st.integers(min_value=0, max_value=5_000)
)
def test_a_reversal_never_takes_more_than_the_lots_hold(remaining: list[int], asked: int) -> None:
    lots = [LotView(f"l{i}", r, None) for i, r in enumerate(remaining)]
    taken = take_back(lots, points=asked)
    assert sum(d.points for d in taken) == min(asked, sum(remaining))
    assert all(0 < d.points <= lots[int(d.lot_id[1:])].remaining for d in taken)


def test_a_stay_earns_per_night_and_per_whole_currency_unit_with_the_best_promotion() -> None:
    stay = StayFacts(site="hotel", arrival=date(2027, 3, 1), nights=2, spend_minor=18_099, currency="EUR")
    assert stay_points(EarningRules(), stay) == (2 * 100 + 180 * 10, ())
    double = Promotion("spring", date(2027, 3, 1), date(2027, 3, 31), multiplier_pct=200, bonus=50)
    elsewhere = Promotion(
        "annex", date(2027, 1, 1), date(2027, 12, 31), multiplier_pct=300, sites=frozenset({"annex"})
    )
    rules = EarningRules(promotions=(double, elsewhere))
    assert stay_points(rules, stay) == (2 * 2000 + 50, ("spring",))
    yen = StayFacts(site="hotel", arrival=date(2027, 3, 1), nights=1, spend_minor=12_345, currency="JPY")
    assert stay_points(EarningRules(), yen)[0] == 100 + 12_345 * 10


def test_tiers_follow_qualifying_points_and_lots_expire_after_their_months() -> None:
    assert [tier_for(p).code for p in (0, 1_999, 2_000, 6_000)] == ["member", "member", "silver", "gold"]
    assert expiry_of(date(2027, 3, 31), EarningRules()) == date(2029, 3, 28)
    assert expiry_of(date(2027, 11, 15), EarningRules(lot_months=3)) == date(2028, 2, 15)
