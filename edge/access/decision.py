"""The door decision: (card bytes, door, time, local state) -> Decision. No I/O of its own.

``Decision`` is the one answer to a tap across the gateway: the access port returns it, the
door-node service answers the node from it, and the room state machine records it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge.access.delegation import delegation_refusal
from edge.access.hours import OpeningHours, keeps_hours
from edge.access.ports import AccessState, PublicKey
from edge.access.scope import Door, opens
from edge.clock import TimeReading
from mqtt.keycard import Card, CardFormatError, Kind, SignedCard, parse_card

# A card encoded at the desk a moment ago must open although this clock may lag a little.
START_SKEW = timedelta(seconds=120)


class Reason(StrEnum):
    GRANTED = "granted"
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    RETIRED_KEY = "retired_key"
    DELEGATION_EXPIRED = "delegation_expired"  # a sub-key's window is over (or the card's issue)
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    WRONG_DOOR = "wrong_door"
    SUPERSEDED = "superseded"
    OUTSIDE_HOURS = "outside_hours"  # a guest at a common area while it is closed
    NOT_BOOKED = "not_booked"  # a guest at a door that opens by booking, outside any slot of the stay
    DECISION_ERROR = "decision-error"  # the gateway failed to decide: the door stays shut


@dataclass(frozen=True, slots=True)
class Decision:
    granted: bool
    reason: Reason
    detail: str = ""
    card: Card | None = None  # set once the signature is proven

    @property
    def credential_id(self) -> str | None:
        return self.card.credential_ref if self.card else None

    @property
    def kind(self) -> str | None:
        """guest, staff, master, ... (known once the signature is proven)."""
        return self.card.kind.name.lower() if self.card else None

    @property
    def valid_until(self) -> datetime | None:
        """When a granted card stops opening (bounds what a door node may remember)."""
        return self.card.valid_until if self.card else None


def decide(data: bytes, *, door: Door, time: TimeReading, state: AccessState,
           hours: OpeningHours | None = None) -> Decision:
    """Check a tapped card. Order matters: nothing unsigned is trusted beyond the key id.
    ``hours``: the door's opening hours (common areas), kept by guest cards."""
    try:
        signed = parse_card(data)
    except CardFormatError as exc:
        return Decision(False, Reason.MALFORMED, str(exc))
    key = state.public_key(signed.card.key_id)
    if key is None:
        return Decision(False, Reason.UNKNOWN_KEY, f"key id {signed.card.key_id} is not known")
    refusal = _check_signature(signed, key)
    if refusal is not None:
        return refusal
    card = signed.card
    now = effective_now(card, time)
    if key.retired_at is not None and now >= key.retired_at:
        return _deny(Reason.RETIRED_KEY, card, f"key {card.key_id} retired {key.retired_at}")
    if key.delegated:
        refused = delegation_refusal(card, key, keys=state, now=now)
        if refused is not None:
            return _deny(Reason(refused[0]), card, refused[1])
    if state.is_revoked(card.credential_ref):
        return _deny(Reason.REVOKED, card, f"credential {card.credential_ref} is revoked")
    refusal = _check_window(card, now, trusted=time.trusted)
    if refusal is not None:
        return refusal
    if not opens(card, door):
        kind = card.kind.name.lower()
        return _deny(Reason.WRONG_DOOR, card, f"{kind} card does not open {door.describe()}")
    if hours is not None and keeps_hours(card) and not hours.is_open(now):
        return _deny(Reason.OUTSIDE_HOURS, card, f"{door.describe()} is open {hours.describe()}")
    if door.by_booking and not _within_booked_slot(card, door, state, now):
        return _deny(Reason.NOT_BOOKED, card, f"no slot of {door.describe()} is booked for this stay now")
    if card.kind is Kind.GUEST and card.rooms:
        highest = state.highest_sequence(card.rooms)
        if highest > card.sequence:
            return _deny(Reason.SUPERSEDED, card, f"sequence {card.sequence} < {highest}")
    return Decision(True, Reason.GRANTED, door.describe(), card)


def _within_booked_slot(card: Card, door: Door, state: AccessState, now: datetime) -> bool:
    """At a door that opens by booking: a stay's card (it lists rooms) opens only within a slot the
    cloud booked for one of its rooms; a slot pass (a guest card with no rooms) carries its slot as its
    own window, already checked; staff, master and emergency cards are not held to bookings."""
    if card.kind is not Kind.GUEST or not card.rooms or door.area is None:
        return True
    return state.slot_open(area=int(door.area), floor=card.floor, rooms=card.rooms, at=now)


def effective_now(card: Card, time: TimeReading) -> datetime:
    """The time to judge a card by. Without a trusted clock, a genuine card's issue time is
    also proof that the true time is at least that late."""
    if time.trusted:
        return time.at
    return max(time.at, card.issued_at)


def record_use(decision: Decision, state: AccessState) -> None:
    """First use of a newer guest card cancels the older cards of its rooms."""
    card = decision.card
    if not (decision.granted and card is not None and card.kind is Kind.GUEST and card.rooms):
        return
    if state.highest_sequence(card.rooms) < card.sequence:  # write only on a first use
        state.raise_sequence(card.rooms, card.sequence)


def verify(signed: SignedCard, public: bytes) -> bool:
    try:
        _public_key(public).verify(signed.signature, signed.message)
    except InvalidSignature:
        return False
    return True


def _check_signature(signed: SignedCard, key: PublicKey) -> Decision | None:
    try:
        ok = verify(signed, key.public)
    except ValueError as exc:
        return Decision(False, Reason.UNKNOWN_KEY, f"key {key.key_id} is unusable: {exc}")
    if not ok:
        return Decision(False, Reason.BAD_SIGNATURE, f"signature does not match key {key.key_id}")
    return None


def _check_window(card: Card, now: datetime, *, trusted: bool) -> Decision | None:
    suffix = "" if trusted else " (clock not synced; judged by its proven lower bound)"
    if now >= card.valid_until:
        return _deny(Reason.EXPIRED, card, f"valid until {card.valid_until.isoformat()}{suffix}")
    if now + START_SKEW < card.valid_from:
        return _deny(Reason.NOT_YET_VALID, card,
                     f"valid from {card.valid_from.isoformat()}{suffix}")
    return None


def _deny(reason: Reason, card: Card, detail: str) -> Decision:
    return Decision(False, reason, detail, card)


@lru_cache(maxsize=64)
def _public_key(public: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(public)
