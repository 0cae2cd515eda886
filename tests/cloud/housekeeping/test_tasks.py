"""Housekeeping tasks, pure: the day's plan and the assignment by floor and workload."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.housekeeping.tasks import Housekeeper, RoomDay, TaskKind, TaskSpec, assign, minutes_between, plan

pytestmark = pytest.mark.unit


def test_departures_get_a_clean_and_an_inspection_stayovers_a_clean_and_a_turndown() -> None:
    tasks = plan(
        [
            RoomDay("f1", "101", departing=True, staying=False),
            RoomDay("f1", "102", False, True),
            RoomDay("f1", "103", False, False),
        ]
    )
    assert [(t.room, t.kind) for t in tasks] == [
        ("101", TaskKind.DEPARTURE),
        ("101", TaskKind.INSPECTION),
        ("102", TaskKind.STAYOVER),
        ("102", TaskKind.TURNDOWN),
    ]


def test_tasks_go_to_the_floor_and_then_to_the_least_loaded() -> None:
    staff = [
        Housekeeper("ana", frozenset({"f1"})),
        Housekeeper("bo", frozenset({"f1"})),
        Housekeeper("cai", frozenset({"f2"})),
    ]
    tasks = [
        TaskSpec("f1", "101", TaskKind.DEPARTURE, 45),
        TaskSpec("f1", "102", TaskKind.STAYOVER, 20),
        TaskSpec("f1", "103", TaskKind.STAYOVER, 20),
        TaskSpec("f2", "201", TaskKind.STAYOVER, 20),
        TaskSpec("f3", "301", TaskKind.STAYOVER, 20),
    ]
    who = [name for _, name in assign(tasks, staff)]
    assert who == ["ana", "bo", "bo", "cai", "cai"]  # f3 has nobody: the least loaded of all (cai, 20 min)


def test_nobody_on_duty_leaves_tasks_unassigned() -> None:
    assert assign([TaskSpec("f1", "101", TaskKind.DEPARTURE, 45)], []) == [
        (TaskSpec("f1", "101", TaskKind.DEPARTURE, 45), None)
    ]


def test_minutes_are_whole_and_at_least_one() -> None:
    assert minutes_between(0, 20) == 1 and minutes_between(0, 44 * 60 + 20) == 44
    with pytest.raises(ValueError):
        minutes_between(10, 5)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["f1", "f2"]), min_size=1, max_size=20))
def test_two_housekeepers_of_one_floor_differ_by_at_most_one_task(floors: list[str]) -> None:
    staff = [Housekeeper("a", frozenset({"f1", "f2"})), Housekeeper("b", frozenset({"f1", "f2"}))]
    tasks = [TaskSpec(f, str(i), TaskKind.STAYOVER, 20) for i, f in enumerate(floors)]
    names = [n for _, n in assign(tasks, staff)]
    assert abs(names.count("a") - names.count("b")) <= 1
