"""The survey's pure rules: which answers are accepted, what is low, when the mid-stay check goes."""

from __future__ import annotations

from datetime import date

import pytest

from cloud.loyalty.feedback.survey import BadAnswer, check, mid_stay_day

pytestmark = pytest.mark.unit


def test_answers_are_checked_field_by_field_and_low_scores_named() -> None:
    answer = check({"reception": "5", "housekeeping": 1, "breakfast": ""}, "  cold shower ")
    assert (answer.scores, answer.comment, answer.low) == (
        {"reception": 5, "housekeeping": 1},
        "cold shower",
        ["housekeeping"],
    )
    for scores, comment in (
        ({}, ""),
        ({"spa": 3}, ""),
        ({"overall": 0}, ""),
        ({"overall": "x"}, ""),
        ({"overall": 3}, "x" * 2001),
    ):
        with pytest.raises(BadAnswer):
            check(scores, comment)


def test_only_stays_of_three_nights_or_more_get_a_mid_stay_check() -> None:
    assert mid_stay_day(date(2027, 5, 3), date(2027, 5, 6)) == date(2027, 5, 4)
    assert mid_stay_day(date(2027, 5, 3), date(2027, 5, 5)) is None
