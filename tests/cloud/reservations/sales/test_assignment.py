"""Room ranking (pure): the inlined ranking orders rooms exactly as its definition says."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.core.nights import Stay
from cloud.reservations.sales.assignment import (
    Candidate,
    Preferences,
    RoomInfo,
    preference_score,
    rank_rooms,
)

DAY0 = date(2027, 5, 1)


def _reference(
    candidates: list[Candidate],
    *,
    stay: Stay,
    type_id: int,
    base_rank: int,
    prefs: Preferences,
    upgrade: bool,
) -> list[RoomInfo]:
    """The ranking as first written: filter, then sort by one key per candidate."""
    eligible = [
        c
        for c in candidates
        if (c.room.accessible or not prefs.accessible)
        and (c.room.type_id == type_id or (upgrade and c.room.type_rank > base_rank))
    ]

    def key(c: Candidate) -> tuple[int, int, int, int, int]:
        steps = 0 if c.room.type_id == type_id else c.room.type_rank - base_rank
        return (
            steps,
            -preference_score(c.room, prefs),
            c.run(stay),
            int(c.room.accessible and not prefs.accessible),
            c.room.id,
        )

    return [c.room for c in sorted(eligible, key=key)]


days = st.integers(min_value=-120, max_value=120).map(lambda d: DAY0 + timedelta(days=d))


@st.composite
def scenes(draw: st.DrawFn) -> tuple[list[Candidate], Stay, Preferences, bool]:
    arrival = draw(days)
    stay = Stay(arrival, arrival + timedelta(days=draw(st.integers(1, 10))))
    candidates = []
    for room_id in draw(st.sets(st.integers(1, 500), max_size=40)):
        type_id = draw(st.integers(1, 4))
        room = RoomInfo(
            id=room_id,
            type_id=type_id,
            type_rank=type_id - 1,
            floor=draw(st.sampled_from(["f1", "f2"])),
            view=draw(st.sampled_from([None, "sea", "city"])),
            accessible=draw(st.booleans()),
            near_lift=draw(st.booleans()),
        )
        before = draw(st.none() | st.integers(0, 90).map(lambda d: stay.arrival - timedelta(days=d)))
        after = draw(st.none() | st.integers(0, 90).map(lambda d: stay.departure + timedelta(days=d)))
        candidates.append(Candidate(room, before, after))
    prefs = Preferences(
        floor=draw(st.sampled_from([None, "f1"])),
        view=draw(st.sampled_from([None, "sea"])),
        accessible=draw(st.booleans()),
        near_lift=draw(st.booleans()),
        room_id=draw(st.none() | st.integers(1, 500)),
    )
    return candidates, stay, prefs, draw(st.booleans())


@given(scenes(), st.integers(1, 4))
@pytest.mark.slow
def test_ranking_matches_its_definition(
    scene: tuple[list[Candidate], Stay, Preferences, bool], type_id: int
) -> None:
    candidates, stay, prefs, upgrade = scene
    ranked = rank_rooms(
        candidates, stay=stay, type_id=type_id, base_rank=type_id - 1, prefs=prefs, allow_upgrade=upgrade
    )
    assert ranked == _reference(
        candidates, stay=stay, type_id=type_id, base_rank=type_id - 1, prefs=prefs, upgrade=upgrade
    )


def test_tightest_free_run_wins_without_preferences() -> None:
    stay = Stay(DAY0, DAY0 + timedelta(days=2))
    loose = Candidate(RoomInfo(id=1, type_id=1, type_rank=0, floor="f1"), None, None)
    tight = Candidate(RoomInfo(id=2, type_id=1, type_rank=0, floor="f1"), stay.arrival, stay.departure)
    assert [
        r.id
        for r in rank_rooms(
            [loose, tight], stay=stay, type_id=1, base_rank=0, prefs=Preferences(), allow_upgrade=False
        )
    ] == [2, 1]
