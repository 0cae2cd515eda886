"""Opening hours of a common-area door (pool, gym, spa, parking, ...): pure, in the property's zone.

A guest card opens an area door only while it is open; staff, manager and emergency cards open it
at any hour (cleaning, maintenance, an emergency). A range may run past midnight (22:00-06:00).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from mqtt.keycard import Card, Kind

_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class OpeningHours:
    opens: time
    closes: time  # time(0) with opens == time(0) is all day
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, zone: ZoneInfo) -> OpeningHours:
        """``HH:MM-HH:MM`` (``24:00`` allowed as the end); raises ValueError."""
        match = _RANGE.match(text.strip())
        if match is None:
            raise ValueError(f"opening hours must look like 07:00-22:00, not {text!r}")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h2 == 24 and m2:
            raise ValueError(f"{text!r}: 24:00 is the latest end")
        closes = time(0) if h2 == 24 else time(h2, m2)
        if (h1, m1) == (h2, m2):
            raise ValueError(f"{text!r} opens and closes at once")
        return cls(time(h1, m1), closes, zone)

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone).time()
        if self.opens < self.closes:
            return self.opens <= local < self.closes
        return local >= self.opens or local < self.closes  # past midnight (or to 24:00)

    def describe(self) -> str:
        return f"{self.opens:%H:%M}-{'24:00' if self.closes == time(0) else format(self.closes, '%H:%M')}"


def keeps_hours(card: Card) -> bool:
    """Guests keep the opening hours; staff and emergency cards do not."""
    return card.kind is Kind.GUEST
