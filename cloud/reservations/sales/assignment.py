"""Choosing rooms for a stay (pure): one room for the whole stay, preferences, tight packing, upgrades.

Packing is best fit: among free rooms, the one whose free run around the stay is shortest wins,
so long free runs stay whole in the other rooms for long stays to come.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from operator import itemgetter
from typing import NamedTuple

from cloud.core.nights import Stay

HORIZON_DAYS = 60
Interval = tuple[date, date]


@dataclass(frozen=True)
class RoomInfo:
    id: int
    type_id: int
    type_rank: int
    floor: str
    view: str | None = None
    accessible: bool = False
    near_lift: bool = False
    slug: str = ""  # the room's own name (what an answer shows); "" where not read


@dataclass(frozen=True)
class Preferences:
    floor: str | None = None
    view: str | None = None
    accessible: bool = False
    near_lift: bool = False
    room_id: int | None = None  # e.g. the room of the guest's last stay


NO_PREFERENCES = Preferences()


@dataclass(frozen=True)
class Segment:
    room_id: int
    arrival: date
    departure: date


def is_free(busy: Sequence[Interval], stay: Stay) -> bool:
    return all(not (start < stay.departure and stay.arrival < end) for start, end in busy)


def preference_score(room: RoomInfo, prefs: Preferences) -> int:
    score = 0
    if prefs.room_id is not None and room.id == prefs.room_id:
        score += 8
    if prefs.floor is not None and room.floor == prefs.floor:
        score += 4
    if prefs.view is not None and room.view == prefs.view:
        score += 4
    if prefs.near_lift and room.near_lift:
        score += 2
    return score


class Candidate(NamedTuple):
    """A room free for the whole stay, with the free run around it: [free_from, free_until)."""

    room: RoomInfo
    free_from: date | None
    free_until: date | None

    def run(self, stay: Stay) -> int:
        horizon = timedelta(days=HORIZON_DAYS)
        start = max(self.free_from or stay.arrival - horizon, stay.arrival - horizon)
        end = min(self.free_until or stay.departure + horizon, stay.departure + horizon)
        return (end - start).days


def candidates_from_busy(
    rooms: Sequence[RoomInfo], busy: Mapping[int, Sequence[Interval]], stay: Stay
) -> list[Candidate]:
    out = []
    for room in rooms:
        held = busy.get(room.id, ())
        if is_free(held, stay):
            before = max((end for _s, end in held if end <= stay.arrival), default=None)
            after = min((start for start, _e in held if start >= stay.departure), default=None)
            out.append(Candidate(room, before, after))
    return out


FreeRun = tuple[RoomInfo, date | None, date | None]  # a Candidate's fields, as a plain tuple


def rank_rooms(
    candidates: Sequence[Candidate] | Sequence[FreeRun],
    *,
    stay: Stay,
    type_id: int,
    base_rank: int,
    prefs: Preferences,
    allow_upgrade: bool,
) -> list[RoomInfo]:
    """Free rooms best first: requested type, preferences, tightest fit; then the nearest upgrade.

    Written for a few hundred candidates per booking: the run (``Candidate.run``) is inlined.
    """
    horizon = timedelta(days=HORIZON_DAYS)
    lo, hi = stay.arrival - horizon, stay.departure + horizon
    scored, accessible = prefs != NO_PREFERENCES, prefs.accessible
    keyed: list[tuple[tuple[int, int, int, bool, int], RoomInfo]] = []
    for room, free_from, free_until in candidates:
        if accessible and not room.accessible:
            continue
        if room.type_id == type_id:
            steps = 0
        elif allow_upgrade and room.type_rank > base_rank:
            steps = room.type_rank - base_rank
        else:
            continue
        start = free_from if free_from is not None and free_from > lo else lo
        end = free_until if free_until is not None and free_until < hi else hi
        score = -preference_score(room, prefs) if scored else 0
        keyed.append(((steps, score, (end - start).days, room.accessible and not accessible, room.id), room))
    keyed.sort(key=itemgetter(0))
    return [room for _key, room in keyed]


def split_stay(
    rooms: Sequence[RoomInfo],
    busy: Mapping[int, Sequence[Interval]],
    *,
    stay: Stay,
    type_id: int,
    prefs: Preferences,
) -> list[Segment] | None:
    """When no single room is free: the fewest moves, each time taking the room free the longest."""
    candidates = [r for r in rooms if r.type_id == type_id and (r.accessible or not prefs.accessible)]
    segments: list[Segment] = []
    night = stay.arrival
    while night < stay.departure:
        best: tuple[int, RoomInfo] | None = None
        for room in candidates:
            length = _free_nights_from(busy.get(room.id, ()), night, stay.departure)
            if length and (best is None or length > best[0]):
                best = (length, room)
        if best is None:
            return None
        end = night + timedelta(days=best[0])
        segments.append(Segment(best[1].id, night, end))
        night = end
    return segments


def _free_nights_from(busy: Sequence[Interval], start: date, limit: date) -> int:
    end = limit
    for b_start, b_end in busy:
        if b_start <= start < b_end:
            return 0
        if start < b_start < end:
            end = b_start
    return (end - start).days
