"""The pure definitions: ratios round half up, periods, buckets, departments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.reports.definitions import (
    LEAD_BUCKETS,
    STAY_BUCKETS,
    Figures,
    Grain,
    department_of,
    distribution,
    goppar,
    percent,
    period_key,
    ratio_minor,
)


def test_adr_rounds_half_up_and_is_empty_without_rooms_sold() -> None:
    assert ratio_minor(1001, 2) == 501
    assert ratio_minor(1000, 3) == 333
    assert ratio_minor(-5, 2) == -3  # half away from zero
    assert ratio_minor(100, 0) is None


@settings(max_examples=60)
@given(st.integers(-10**9, 10**9), st.integers(1, 10**5))
def test_ratio_is_the_nearest_minor_unit(amount: int, count: int) -> None:
    got = ratio_minor(amount, count)
    assert got is not None
    assert abs(Decimal(got) - Decimal(amount) / count) <= Decimal("0.5")


def test_occupancy_in_percent_with_two_decimals() -> None:
    assert percent(1, 3) == Decimal("33.33")
    assert percent(2, 3) == Decimal("66.67")
    assert percent(5, 0) is None


def test_periods_of_a_night() -> None:
    night = date(2027, 1, 1)  # a Friday of ISO week 53 of 2026
    assert [period_key(night, g) for g in Grain] == ["2027-01-01", "2026-W53", "2027-01", "2027"]


def test_departments_of_charge_kinds() -> None:
    assert department_of("room_night") == "rooms"
    assert department_of("no_show") == "other_rooms"
    assert department_of("minibar") == "food_beverage"
    assert department_of("spa") == "services"
    assert department_of("something_new") == "other"


def test_distributions_count_every_value_once() -> None:
    leads = distribution([0, 1, 3, 4, 30, 31, 200, -1], LEAD_BUCKETS)
    assert leads == {"0": 2, "1-3": 2, "4-7": 1, "8-14": 0, "15-30": 1, "31-60": 1, "61-90": 0, "91+": 1}
    assert sum(distribution(range(1, 40), STAY_BUCKETS).values()) == 39


def test_ratios_come_from_the_period_sums() -> None:
    a = Figures(available=100, sold=50, room_net=500_000, room_gross=550_000,
                departments_net={"rooms": 500_000})
    b = Figures(available=100, sold=10, room_net=200_000, room_gross=220_000,
                departments_net={"rooms": 200_000, "food_beverage": 30_000})
    a.add(b)
    ratios = a.ratios()
    assert ratios["occupancy_pct"] == Decimal("30.00")
    assert ratios["adr_net"] == 700_000 // 60 + 1  # 11666.67 -> 11667
    assert ratios["revpar_net"] == 3500
    assert ratios["trevpar_net"] == 3650
    assert goppar(revenue_net=730_000, expenses=330_000, available=200) == 2000
