"""Which registry profile a booking belongs to, from what the profiles share with it.

Exact when an email or phone matches (by blind index); confident when the full name and the
birth date match; unsure when only the name does: a new profile is then made, and the
registry's duplicate list (same name) puts the two before staff to merge.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MatchKind(StrEnum):
    EXACT = "exact"  # same email or phone
    FUZZY = "fuzzy"  # same full name and birth date
    UNSURE = "unsure"  # only the name: a new profile, left to the duplicate-merge flow
    NEW = "new"  # nothing in common with any profile


@dataclass(frozen=True, slots=True)
class Candidate:
    """A live profile at the property and what it shares with the booking."""

    guest_id: str
    email: bool = False
    phone: bool = False
    name: bool = False
    birth_date: bool = False

    @property
    def contact(self) -> bool:
        return self.email or self.phone


@dataclass(frozen=True, slots=True)
class Match:
    kind: MatchKind
    guest_id: str | None = None  # the profile to link; None: register a new one
    doubts: tuple[str, ...] = ()  # other profiles that may be the same person


def decide(candidates: list[Candidate]) -> Match:
    """The profile to link, most certain evidence first; ties go to the oldest id (ULIDs sort)."""
    ordered = sorted(candidates, key=lambda c: c.guest_id)
    both = [c for c in ordered if c.email and c.phone]
    contact = both or [c for c in ordered if c.contact]
    if contact:
        chosen = contact[0]
        return Match(MatchKind.EXACT, chosen.guest_id, _others(ordered, chosen))
    named = [c for c in ordered if c.name and c.birth_date]
    if len(named) == 1:
        return Match(MatchKind.FUZZY, named[0].guest_id, _others(ordered, named[0]))
    doubts = tuple(c.guest_id for c in ordered if c.name)
    if doubts:
        return Match(MatchKind.UNSURE, None, doubts)
    return Match(MatchKind.NEW)


def _others(ordered: list[Candidate], chosen: Candidate) -> tuple[str, ...]:
    return tuple(c.guest_id for c in ordered if c is not chosen and (c.contact or c.name))
