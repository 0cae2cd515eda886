"""Who a segment holds: plain facts about each guest against a segment's rules. Pure: no I/O.

Only guests who opted in to the campaign's channel, and have an address for it, are in an
audience; everything else about them only narrows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class GuestFacts:
    guest_id: str
    site: str
    country: str | None
    tier: str  # the loyalty tier, or "none" for a guest who is not a member
    last_stay: date | None
    spend_minor: int  # in the segment's currency
    birth_month: int | None
    email_ok: bool  # opted in to email and has an address
    whatsapp_ok: bool  # opted in to WhatsApp and has a phone


@dataclass(frozen=True, slots=True)
class SegmentRules:
    countries: frozenset[str] = frozenset()  # empty: any
    tiers: frozenset[str] = frozenset()
    stayed_within_days: int | None = None  # last stay no longer ago than this
    away_for_days: int | None = None  # last stay at least this long ago (lapsed guests)
    min_spend_minor: int | None = None
    birth_month: int | None = None
    sites: frozenset[str] = field(default_factory=frozenset)

    def matches(self, guest: GuestFacts, *, today: date) -> bool:
        checks = (
            not self.sites or guest.site in self.sites,
            not self.countries or guest.country in self.countries,
            not self.tiers or guest.tier in self.tiers,
            self.min_spend_minor is None or guest.spend_minor >= self.min_spend_minor,
            self.birth_month is None or guest.birth_month == self.birth_month,
            self._recent(guest.last_stay, today),
        )
        return all(checks)

    def _recent(self, last: date | None, today: date) -> bool:
        if self.stayed_within_days is not None and (
            last is None or (today - last).days > self.stayed_within_days
        ):
            return False
        return self.away_for_days is None or last is None or (today - last).days >= self.away_for_days


def audience(guests: Iterable[GuestFacts], rules: SegmentRules, *, channel: str, today: date) -> list[str]:
    """The ids of the segment's guests who may be sent ``channel``, in a stable order."""
    email = channel == "email"
    return sorted(
        g.guest_id
        for g in guests
        if (g.email_ok if email else g.whatsapp_ok) and rules.matches(g, today=today)
    )
