"""Attendance arithmetic, pure: a person's punches of a week become worked minutes, late days and
days with a missing punch.

Punches of one local day pair up in order (in, out, in, out...); an odd one left over is a
missing punch and its time is not counted. A day is late when its first punch comes after the
person's shift start plus the grace.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

GRACE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Punch:
    person: str
    at: datetime  # local wall time of the property (aware)


@dataclass
class PersonWeek:
    person: str
    minutes: int = 0
    late: list[date] = field(default_factory=list)
    missing: list[date] = field(default_factory=list)

    @property
    def hours(self) -> str:
        return f"{self.minutes // 60}:{self.minutes % 60:02d}"


def _day(person: str, day: date, punches: list[datetime], start: time | None, out: PersonWeek) -> None:
    punches.sort()
    for first, second in zip(punches[::2], punches[1::2], strict=False):
        out.minutes += int((second - first) / timedelta(minutes=1))
    if len(punches) % 2:
        out.missing.append(day)
    if start is not None and punches[0].time() > (datetime.combine(day, start) + GRACE).time():
        out.late.append(day)


def week(punches: Iterable[Punch], *, shift_starts: dict[str, time]) -> list[PersonWeek]:
    """Each person's week, by name."""
    days: dict[tuple[str, date], list[datetime]] = defaultdict(list)
    for p in punches:
        days[(p.person, p.at.date())].append(p.at)
    people: dict[str, PersonWeek] = {}
    for (person, day), times in sorted(days.items()):
        _day(person, day, times, shift_starts.get(person), people.setdefault(person, PersonWeek(person)))
    return [people[name] for name in sorted(people)]


def week_start(text: str) -> date:
    """The Monday of an ISO week written ``2027-W09``; raises ValueError."""
    year, _, number = text.partition("-W")
    return date.fromisocalendar(int(year), int(number), 1)
