"""The in-lift panel's decision (pure): which of the lift's floors a tapped card may select.

A card carries its lift floors (``Card.lift_floors``, one bit a floor); a master or emergency
card selects every floor. The card is judged once, by the same checks in the same order as any
door (``decide``: format, key, signature, retired key, revocation, validity, hours for guests,
superseded guest cards), against the lowest floor it claims among those the lift serves, so
nothing the card says is trusted before its signature is proven. Granted, the floors it may
select are those of the proven card; refused, none. A lift's public floors (the lobby) need
no card and are the panel's business, not the decision's.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from edge.access.decision import Decision, decide, record_use
from edge.access.hours import OpeningHours
from edge.access.ports import AccessState
from edge.access.scope import Door
from edge.clock import TimeReading
from mqtt.keycard import Card, CardFormatError, Kind, parse_card


@dataclass(frozen=True, slots=True)
class LiftChoice:
    decision: Decision
    floors: frozenset[int]  # the floors the card may select now; empty when refused


def card_floors(card: Card, served: Collection[int]) -> frozenset[int]:
    """The floors of ``served`` the card names (every one for master and emergency cards)."""
    if card.kind in (Kind.MASTER, Kind.EMERGENCY):
        return frozenset(served)
    return frozenset(floor for floor in served if card.lift_allows(floor))


def choose_floors(
    data: bytes,
    *,
    site: int,
    served: Collection[int],
    time: TimeReading,
    state: AccessState,
    hours: OpeningHours | None = None,
) -> LiftChoice:
    """Judge a card tapped in the lift; a granted newer guest card cancels older ones, as at a door."""
    if not served:
        raise ValueError("a lift serves at least one floor")
    try:
        claimed = card_floors(parse_card(data).card, served)
    except CardFormatError:
        claimed = frozenset()
    floor = min(claimed) if claimed else min(served)
    decision = decide(data, door=Door(site=site, floor=floor), time=time, state=state, hours=hours)
    if not decision.granted or decision.card is None:
        return LiftChoice(decision, frozenset())
    record_use(decision, state)
    return LiftChoice(decision, card_floors(decision.card, served))
