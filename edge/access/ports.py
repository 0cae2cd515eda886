"""What the access core asks of the world: keys, revocations, room sequences, applied commands."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

# How long applied command ids are remembered: far longer than any broker redelivery.
COMMAND_MEMORY = timedelta(days=30)
# Cards held until their signing key arrives, at most (a flood of bogus key ids stays bounded).
PARKED_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class PublicKey:
    key_id: int
    public: bytes  # raw Ed25519, 32 bytes
    retired_at: datetime | None = None  # from this instant cards signed with it are refused
    # A delegated sub-key (mqtt/delegation.py): vouched for by ``parent``, opens only in
    # [valid_from, valid_until) and only cards it signed in that window.
    parent: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    @property
    def delegated(self) -> bool:
        return self.parent is not None


@dataclass(frozen=True, slots=True)
class StoredCredential:
    """A card the cloud told us about (for audit and to cancel older cards at once)."""

    credential_id: str
    kind: str
    key_id: int
    floor: int
    rooms: tuple[int, ...]
    sequence: int
    guest: int
    valid_until: datetime
    card: bytes


@dataclass(frozen=True, slots=True)
class AppliedCommand:
    command_id: str
    type: str
    ok: bool
    error: str = ""


class KeyStore(Protocol):
    def public_key(self, key_id: int) -> PublicKey | None: ...


class RevocationStore(Protocol):
    def is_revoked(self, credential_id: str) -> bool: ...


class SequenceStore(Protocol):
    def highest_sequence(self, rooms: Iterable[int]) -> int:
        """The highest issue sequence seen for any of these rooms (0 if none)."""
        ...

    def raise_sequence(self, rooms: Iterable[int], sequence: int) -> None:
        """Record ``sequence`` for each room where it is higher than what is stored."""
        ...


@dataclass(frozen=True, slots=True)
class BookedSlot:
    """A facility slot booked for a stay: its cards (those listing ``room`` on ``floor``) open the
    door of ``area`` (an area bit) in [start, end)."""

    booking_id: str
    area: int
    floor: int
    room: int
    start: datetime
    end: datetime


class SlotStore(Protocol):
    def slot_open(self, *, area: int, floor: int, rooms: Iterable[int], at: datetime) -> bool:
        """Whether a slot of this area door is booked for one of these rooms and holds ``at``."""
        ...


class AccessState(KeyStore, RevocationStore, SequenceStore, SlotStore, Protocol):
    """Everything a door decision reads, and the one thing a granted tap writes."""


class CommandState(AccessState, Protocol):
    """What the command handler changes, atomically."""

    def atomic(self) -> AbstractContextManager[None]: ...

    def applied(self, command_id: str) -> AppliedCommand | None: ...

    def record_applied(self, command: AppliedCommand, *, at: datetime) -> None: ...

    def put_key(self, key: PublicKey) -> None: ...

    def revoke(self, credential_id: str, *, until: datetime | None, at: datetime) -> None: ...

    def put_credential(self, credential: StoredCredential) -> None: ...

    def put_slot(self, slot: BookedSlot) -> None: ...

    def drop_slot(self, booking_id: str) -> None: ...

    def park(self, credential_id: str, *, key_id: int, valid_until: datetime, card: bytes) -> bool:
        """Hold a card whose key has not arrived yet; False when the parking is full."""
        ...

    def unpark(self, key_id: int) -> list[bytes]:
        """Take the cards held for this key."""
        ...
