"""ARI ranges, markup, spans and the channel's pace (pure)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.channels.credentials import Credentials
from cloud.channels.pacing import Pace, backoff
from cloud.channels.port import (
    AriRange,
    NightAri,
    coalesce,
    merge_spans,
    occupancy_prices,
    relevant,
    weekly,
    with_markup,
)

D = date(2027, 3, 1)


def test_equal_nights_become_one_range_and_a_change_splits_it() -> None:
    values = [(D + timedelta(days=i), NightAri(free=3 if i < 4 else 0, price_minor=9000)) for i in range(6)]
    counts = coalesce("counts", values)
    assert [(r.start, r.end, r.value.free) for r in counts] == [
        (D, D + timedelta(days=3), 3),
        (D + timedelta(days=4), D + timedelta(days=5), 0),
    ]
    assert len(coalesce("rates", values)) == 1  # the price never changes


def test_a_gap_between_nights_is_never_bridged() -> None:
    values = [(D, NightAri(1, 100)), (D + timedelta(days=2), NightAri(1, 100))]
    assert len(coalesce("counts", values)) == 2


@settings(max_examples=60)
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from([None, 100, 200])), min_size=1, max_size=40))
def test_ranges_cover_every_night_once_with_its_value(spec: list[tuple[int, int | None]]) -> None:
    values = [(D + timedelta(days=i), NightAri(free, price)) for i, (free, price) in enumerate(spec)]
    for kind in ("counts", "rates", "availability", "restrictions"):
        ranges = coalesce(kind, values)  # type: ignore[arg-type]
        covered = [r.start + timedelta(days=k) for r in ranges for k in range((r.end - r.start).days + 1)]
        assert covered == [n for n, _ in values]
    by_night = dict(values)
    for r in coalesce("counts", values):
        assert all(
            by_night[r.start + timedelta(days=k)].free == r.value.free
            for k in range((r.end - r.start).days + 1)
        )


def test_markup_rounds_half_up_to_a_minor_unit() -> None:
    assert with_markup(9000, 1500) == 10350
    assert with_markup(999, 50) == 1004  # 1003.995
    assert with_markup(1000, -1000) == 900


def test_touching_spans_merge() -> None:
    assert merge_spans([(D + timedelta(days=3), D + timedelta(days=4)), (D, D + timedelta(days=2))]) == [
        (D, D + timedelta(days=4))
    ]
    assert len(merge_spans([(D, D), (D + timedelta(days=2), D + timedelta(days=2))])) == 2


def test_pace_allows_per_minute_then_waits_for_the_oldest_call() -> None:
    pace = Pace(per_minute=2)
    assert pace.wait(0.0) == 0
    pace.called(0.0)
    pace.called(1.0)
    assert pace.wait(2.0) == 58.0
    assert pace.wait(60.5) == 0


def test_a_429_blocks_for_its_retry_after() -> None:
    pace = Pace(per_minute=100)
    pace.told_to_wait(10.0, 30.0)
    assert pace.wait(20.0) == 20.0
    assert pace.wait(41.0) == 0


def test_backoff_grows_is_capped_and_honours_retry_after() -> None:
    assert backoff(1) < backoff(2) < backoff(3)
    assert backoff(50) == 900.0
    assert backoff(1, retry_after=42) == 42


def _expand(ranges: tuple[AriRange, ...]) -> dict[date, tuple[object, ...]]:
    out: dict[date, tuple[object, ...]] = {}
    for r in ranges:
        night = r.start
        while night <= r.end:
            if r.weekdays is None or night.weekday() in r.weekdays:
                assert night not in out, "two ranges cover one night"
                out[night] = relevant("rates", r.value)
            night += timedelta(days=1)
    return out


def test_a_year_of_weekday_and_weekend_prices_is_two_ranges_with_weekday_flags() -> None:
    start = date(2027, 3, 3)  # a Wednesday
    values = [
        (
            start + timedelta(days=i),
            NightAri(2, 15000 if (start + timedelta(days=i)).weekday() in (4, 5) else 9000),
        )
        for i in range(365)
    ]
    plain = coalesce("rates", values)
    ranges = weekly("rates", values, plain=plain)
    assert len(plain) > 100 and len(ranges) == 2
    assert {r.weekdays for r in ranges} == {frozenset({4, 5}), frozenset({0, 1, 2, 3, 6})}
    assert _expand(ranges) == _expand(plain)


@settings(max_examples=80, deadline=None)
@given(
    offset=st.integers(0, 6),
    prices=st.lists(st.sampled_from([None, 9000, 12000]), min_size=1, max_size=60),
)
def test_weekday_ranges_say_exactly_what_plain_ranges_say(offset: int, prices: list[int | None]) -> None:
    start = D + timedelta(days=offset)
    values = [
        (start + timedelta(days=i), NightAri(1, p)) for i, p in enumerate(prices) if p is not None
    ]  # nights without a price are left out, as the sender leaves them out of rates
    plain = coalesce("rates", values)
    ranges = weekly("rates", values, plain=plain)
    assert len(ranges) <= len(plain)
    assert _expand(ranges) == _expand(plain)


def test_occupancy_prices_are_per_guest_count_only_when_the_mapping_sets_them() -> None:
    assert occupancy_prices(3, None) is None
    assert occupancy_prices(3, {"1": -1500}) == ((1, -1500), (2, 0), (3, 0))


def test_credentials_never_show_their_secrets() -> None:
    creds = Credentials(requestor_id="CM-77", message_password="s3cret", username="u", password="p4ss")
    assert "s3cret" not in repr(creds) and "p4ss" not in repr(creds)
    assert creds.described() == ["requestor CM-77", "message password", "basic u"]
    assert creds.headers() == {"Authorization": "Basic dTpwNHNz"}
    assert Credentials(token="t0k").headers() == {"Authorization": "Bearer t0k"}
    assert Credentials.from_stored(creds.stored()) == creds
