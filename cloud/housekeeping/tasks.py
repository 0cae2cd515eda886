"""Housekeeping tasks, pure: what a day needs per room, and who does it by floor and workload.

A departing room gets a departure clean and an inspection; a stay-over room a stay-over clean
and a turndown. Each task goes to a housekeeper of its floor with the fewest minutes already
given (ties: the name, so a plan is reproducible); a floor nobody covers goes to the least
loaded housekeeper of all. Minutes are the expected length, kept per kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class TaskKind(StrEnum):
    DEPARTURE = "departure"
    STAYOVER = "stayover"
    INSPECTION = "inspection"
    TURNDOWN = "turndown"


EXPECTED_MINUTES = {
    TaskKind.DEPARTURE: 45,
    TaskKind.STAYOVER: 20,
    TaskKind.INSPECTION: 10,
    TaskKind.TURNDOWN: 10,
}


@dataclass(frozen=True, slots=True)
class RoomDay:
    floor: str
    room: str
    departing: bool
    staying: bool  # a guest sleeps here tonight as well as last night


@dataclass(frozen=True, slots=True)
class TaskSpec:
    floor: str
    room: str
    kind: TaskKind
    minutes: int


@dataclass(frozen=True, slots=True)
class Housekeeper:
    name: str
    floors: frozenset[str]


def plan(rooms: Iterable[RoomDay]) -> list[TaskSpec]:
    tasks: list[TaskSpec] = []
    for r in sorted(rooms, key=lambda r: (r.floor, r.room)):
        kinds = (
            (TaskKind.DEPARTURE, TaskKind.INSPECTION)
            if r.departing
            else (TaskKind.STAYOVER, TaskKind.TURNDOWN)
            if r.staying
            else ()
        )
        tasks.extend(TaskSpec(r.floor, r.room, k, EXPECTED_MINUTES[k]) for k in kinds)
    return tasks


def assign(
    tasks: Iterable[TaskSpec], staff: Iterable[Housekeeper], already: dict[str, int] | None = None
) -> list[tuple[TaskSpec, str | None]]:
    """Each task with its housekeeper (None when there is nobody at all); ``already``: minutes given."""
    people = sorted(staff, key=lambda h: h.name)
    load = {h.name: (already or {}).get(h.name, 0) for h in people}
    out: list[tuple[TaskSpec, str | None]] = []
    for task in tasks:
        pool = [h for h in people if task.floor in h.floors] or people
        if not pool:
            out.append((task, None))
            continue
        chosen = min(pool, key=lambda h: (load[h.name], h.name))
        load[chosen.name] += task.minutes
        out.append((task, chosen.name))
    return out


def minutes_between(started_s: float, finished_s: float) -> int:
    """Whole minutes a task took (at least one), from two instants in seconds."""
    if finished_s < started_s:
        raise ValueError("a task finishes after it starts")
    return max(1, round((finished_s - started_s) / 60))
