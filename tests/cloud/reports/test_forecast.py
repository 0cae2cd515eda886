"""The forecast's pure core: held rooms, mean pickup, additive pickup, the risk model, suggestions."""

from __future__ import annotations

import random
from datetime import date, timedelta

from cloud.reports.forecast import (
    Booked,
    NightForecast,
    NightRow,
    additive_pickup,
    fit,
    forecast_error,
    held,
    mean_pickup,
    precision_recall,
    price_suggestion,
)

N = date(2027, 5, 1)


def test_a_night_is_held_from_its_booking_until_its_cancellation() -> None:
    row = NightRow(N, booked_before=10, cancelled_before=3, amount=100)
    assert [held(row, d) for d in (11, 10, 4, 3, 0)] == [False, True, True, False, False]
    assert held(NightRow(N, 5, None, 100), 0)


def test_mean_pickup_is_what_arrived_after_each_point() -> None:
    history = [NightRow(N, 30, None, 1), NightRow(N, 2, None, 1), NightRow(N + timedelta(days=1), 1, None, 1)]
    pickup = mean_pickup(history, horizon=40)
    assert pickup[0] == 0
    assert pickup[1] == 0  # booked the day before: on the books one day before
    assert pickup[2] == 0.5 and pickup[3] == 1.0 and pickup[31] == 1.5


def test_additive_pickup_adds_and_caps_at_the_rooms() -> None:
    books = {N: (8, 80_000), N + timedelta(days=1): (1, 9_000)}
    nights = additive_pickup(today=N, books=books, pickup=[0.0, 5.0, 5.0], capacity=10, fallback_rate=7_000,
                             horizon=3)
    assert [n.rooms for n in nights] == [8.0, 6.0, 5.0]
    assert nights[0].revenue == 80_000 and nights[2].revenue == 35_000
    actual = {N: 9, N + timedelta(days=1): 6, N + timedelta(days=2): 2}
    assert forecast_error(nights, actual, capacity=10) == (1.33, 13.33)


def test_price_suggestions_follow_the_forecast() -> None:
    def at(occ: float) -> int:
        return price_suggestion(NightForecast(N, 0, 0, 0, occ)).change_pct
    assert [at(95), at(80), at(50), at(20)] == [10, 5, 0, -10]


def test_the_risk_model_learns_which_bookings_cancel() -> None:
    rng = random.Random(3)
    samples = []
    for _ in range(400):
        b = Booked(lead_days=rng.randint(0, 200), nights=rng.randint(1, 7), non_refundable=rng.random() < 0.3,
                   has_profile=rng.random() < 0.2, group=False, weekend_arrival=rng.random() < 0.3)
        risk = 0.05 + (0.5 if b.lead_days > 60 and not b.non_refundable else 0.0)
        samples.append((b, rng.random() < risk))
    model = fit(samples[:300])
    precision, recall = precision_recall(model, samples[300:], threshold=0.3)
    assert precision is not None and recall is not None and precision > 0.4 and recall > 0.6
    far = Booked(lead_days=120, nights=2, non_refundable=False, has_profile=False, group=False,
                 weekend_arrival=False)
    firm = Booked(lead_days=120, nights=2, non_refundable=True, has_profile=False, group=False,
                  weekend_arrival=False)
    near = Booked(lead_days=2, nights=2, non_refundable=False, has_profile=False, group=False,
                  weekend_arrival=False)
    assert model.score(far) > 0.3 > model.score(firm) and model.score(far) > model.score(near)
    assert set(model.explain()) >= {"intercept", "month_ahead", "flexible_lead_log"}
