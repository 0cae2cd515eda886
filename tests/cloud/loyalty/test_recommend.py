"""Recommendations, pure: own habits first, similar guests next, each with its reason."""

from __future__ import annotations

import pytest

from cloud.loyalty.recommend import hit_rate, recommend

pytestmark = pytest.mark.unit


def stays(*items: str) -> frozenset[str]:
    return frozenset(items)


def test_a_guest_s_own_habit_leads_and_similar_guests_explain_the_rest() -> None:
    own = [stays("room:sup", "extra:spa"), stays("room:sup")]
    others = [stays("extra:spa", "extra:restaurant")] * 3 + [stays("room:std", "extra:minibar")] * 5
    top = recommend(own, others, top=3)
    assert [s.item for s in top][:2] == ["room:sup", "extra:spa"]
    assert (top[0].own, top[0].stays) == (2, 2)
    restaurant = next(s for s in top if s.item == "extra:restaurant")
    assert (restaurant.because, restaurant.together, restaurant.own) == ("extra:spa", 3, 0)


def test_a_new_guest_gets_what_is_popular_and_nothing_from_nothing() -> None:
    others = [stays("extra:minibar")] * 4 + [stays("extra:spa")]
    assert [s.item for s in recommend([], others, top=1)] == ["extra:minibar"]
    assert recommend([], [], top=3) == []


def test_the_hit_rate_holds_out_each_guest_s_last_stay() -> None:
    loyal = [stays("extra:spa"), stays("extra:spa"), stays("extra:spa")]
    fickle = [stays("extra:laundry"), stays("room:ste")]
    assert hit_rate([loyal, fickle, [stays("x")]], top=1) == (0.5, 2)
