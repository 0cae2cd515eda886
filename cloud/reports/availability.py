"""Rooms available per night and room type, pure (docs/reports.md#rooms-available)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class OutOfOrder(StrEnum):
    """Whether out-of-order rooms stay in rooms available (USALI) or are taken out (OPERA)."""

    AVAILABLE = "available"
    EXCLUDED = "excluded"


@dataclass(frozen=True, slots=True)
class RoomRow:
    room_type: int
    retired_from: date | None


@dataclass(frozen=True, slots=True)
class OutOfOrderRow:
    room_type: int
    start: date
    end: date  # exclusive


def nights(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days)]


def available(rooms: Iterable[RoomRow], out_of_order: Iterable[OutOfOrderRow], *, start: date, end: date,
              setting: OutOfOrder) -> dict[tuple[date, int], tuple[int, int]]:
    """(night, room type) -> (rooms available, rooms out of order) for nights [start, end)."""
    days = nights(start, end)
    result: dict[tuple[date, int], tuple[int, int]] = {}
    for (room_type, retired_from), count in Counter((r.room_type, r.retired_from) for r in rooms).items():
        for night in days:
            if retired_from is None or night < retired_from:
                have, ooo = result.get((night, room_type), (0, 0))
                result[(night, room_type)] = (have + count, ooo)
    for period in out_of_order:
        for night in nights(max(start, period.start), min(end, period.end)):
            have, ooo = result.get((night, period.room_type), (0, 0))
            if setting is OutOfOrder.EXCLUDED:
                have -= 1
            result[(night, period.room_type)] = (have, ooo + 1)
    return result
