"""Facility slots, pure: opening hours, half-open intervals, capacity at every instant.

A slot is ``[start, end)`` in the property's local wall time of one day: 17:00-18:00 and
18:00-19:00 do not clash. A booking must fall within the opening hours, last a whole number
of slot lengths, and never make the guests present at any instant exceed the capacity (a
treatment room has capacity 1: any overlap is a double booking).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time


class SlotRefused(ValueError):
    """Why a slot cannot be booked: ``reason`` is hours, length, order or full."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True, slots=True)
class Hours:
    opens: time
    closes: time  # after opens, the same day

    def __post_init__(self) -> None:
        if not self.opens < self.closes:
            raise ValueError("a facility closes after it opens, the same day")

    def describe(self) -> str:
        return f"{self.opens:%H:%M}-{self.closes:%H:%M}"


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime  # aware
    end: datetime

    def overlaps(self, other: Slot) -> bool:
        """Half-open: touching ends do not overlap."""
        return self.start < other.end and other.start < self.end


def check_slot(*, start: time, end: time, hours: Hours, slot_minutes: int) -> None:
    """Within the opening hours and a whole number of slots long; raises SlotRefused."""
    if not start < end:
        raise SlotRefused("order", "a slot ends after it starts")
    if start < hours.opens or end > hours.closes:
        raise SlotRefused("hours", f"open {hours.describe()}: {start:%H:%M}-{end:%H:%M} is outside")
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    if start.second or end.second or minutes % slot_minutes:
        raise SlotRefused("length", f"slots are {slot_minutes} minutes long")


def peak_load(slot: Slot, booked: Iterable[tuple[Slot, int]]) -> int:
    """The most guests present at once during ``slot`` from the bookings ``(slot, guests)``."""
    events: list[tuple[datetime, int]] = []
    for other, guests in booked:
        if other.overlaps(slot):
            events.append((max(other.start, slot.start), guests))
            events.append((min(other.end, slot.end), -guests))
    load = peak = 0
    for _, change in sorted(events, key=lambda e: (e[0], e[1])):  # ends before starts at one instant
        load += change
        peak = max(peak, load)
    return peak


def check_capacity(slot: Slot, *, guests: int, capacity: int, booked: Iterable[tuple[Slot, int]]) -> None:
    """Raises SlotRefused("full") when ``guests`` more would exceed ``capacity`` at some instant."""
    if guests < 1:
        raise SlotRefused("guests", "a booking is for at least one guest")
    taken = peak_load(slot, booked)
    if taken + guests > capacity:
        left = max(capacity - taken, 0)
        raise SlotRefused("full", f"{left} of {capacity} places left in that slot")
