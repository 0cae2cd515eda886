"""Door supervision: opened/closed/ajar/forced from timestamped facts."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.doors import DoorSignal, DoorWatch

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
D = "room-101"


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def types(signals: list[DoorSignal]) -> list[str]:
    return [x.type for x in signals]


def watch() -> DoorWatch:
    w = DoorWatch(ajar_after=timedelta(seconds=30), grant_window=timedelta(seconds=10))
    w.contact(D, is_open=False, at=s(0))
    return w


def test_first_report_of_an_open_door_is_not_called_forced() -> None:
    w = DoorWatch()
    assert types(w.contact(D, is_open=True, at=s(0))) == ["door.opened"]


def test_opening_soon_after_a_grant_is_a_plain_opening() -> None:
    w = watch()
    w.granted(D, s(100))
    assert types(w.contact(D, is_open=True, at=s(104))) == ["door.opened"]


def test_opening_without_a_grant_is_forced() -> None:
    w = watch()
    assert types(w.contact(D, is_open=True, at=s(100))) == ["door.opened", "door.forced"]


def test_a_grant_too_long_ago_does_not_cover_the_opening() -> None:
    w = watch()
    w.granted(D, s(100))
    assert "door.forced" in types(w.contact(D, is_open=True, at=s(111)))


def test_exit_request_covers_an_opening_from_inside() -> None:
    w = watch()
    w.exit_requested(D, s(50))
    assert types(w.contact(D, is_open=True, at=s(51))) == ["door.opened"]


def test_grant_for_another_door_does_not_count() -> None:
    w = watch()
    w.granted("room-102", s(100))
    assert "door.forced" in types(w.contact(D, is_open=True, at=s(101)))


def test_closing_reports_how_long_the_door_was_open() -> None:
    w = watch()
    w.granted(D, s(10))
    w.contact(D, is_open=True, at=s(11))
    closed = w.contact(D, is_open=False, at=s(18.5))
    assert types(closed) == ["door.closed"] and closed[0].seconds_open == 7.5


def test_door_open_too_long_is_ajar_once_per_opening() -> None:
    w = watch()
    w.granted(D, s(10))
    w.contact(D, is_open=True, at=s(10))
    assert w.tick(s(39)) == []
    ajar = w.tick(s(40))
    assert types(ajar) == ["door.ajar"] and ajar[0].seconds_open == 30
    assert w.tick(s(400)) == []
    w.contact(D, is_open=False, at=s(401))
    w.granted(D, s(500))
    w.contact(D, is_open=True, at=s(500))
    assert types(w.tick(s(531))) == ["door.ajar"]


def test_repeated_state_and_stale_facts_change_nothing() -> None:
    w = watch()
    assert w.contact(D, is_open=False, at=s(5)) == []
    w.granted(D, s(9))
    w.contact(D, is_open=True, at=s(10))
    assert w.contact(D, is_open=False, at=s(9)) == []
    assert w.stale_facts == 1 and w.is_open(D) is True


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        DoorWatch().contact(D, is_open=True, at=datetime(2026, 3, 1, 12, 0))


facts = st.lists(
    st.tuples(st.sampled_from(["open", "close", "grant", "tick"]), st.floats(0, 120)),
    max_size=40,
)


@given(facts)
def test_events_alternate_and_forced_only_follows_an_opening(
    steps: list[tuple[str, float]],
) -> None:
    w = DoorWatch(ajar_after=timedelta(seconds=30))
    clock = 0.0
    out: list[str] = []
    for kind, gap in steps:
        clock += gap
        at = s(clock)
        if kind == "grant":
            w.granted(D, at)
        elif kind == "tick":
            out += types(w.tick(at))
        else:
            out += types(w.contact(D, is_open=kind == "open", at=at))
    transitions = [t for t in out if t in ("door.opened", "door.closed")]
    assert all(a != b for a, b in itertools.pairwise(transitions))
    for i, t in enumerate(out):
        if t == "door.forced":
            assert out[i - 1] == "door.opened"
        if t == "door.ajar":
            assert [x for x in out[:i] if x in ("door.opened", "door.closed")][-1] == "door.opened"
