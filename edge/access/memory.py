"""In-memory twin of the access store, for tests and the demo."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from edge.access.ports import (
    COMMAND_MEMORY,
    PARKED_LIMIT,
    AppliedCommand,
    BookedSlot,
    PublicKey,
    StoredCredential,
)


class MemoryAccessState:
    """Same behaviour as SqliteAccessState; ``atomic`` restores everything on an error."""

    def __init__(self) -> None:
        self.keys: dict[int, PublicKey] = {}
        self.revocations: dict[str, datetime | None] = {}
        self.sequences: dict[int, int] = {}
        self.credentials: dict[str, StoredCredential] = {}
        self.commands: dict[str, AppliedCommand] = {}
        self.command_times: dict[str, datetime] = {}
        self.parked: dict[str, tuple[int, datetime, bytes]] = {}
        self.slots: dict[str, BookedSlot] = {}

    def public_key(self, key_id: int) -> PublicKey | None:
        return self.keys.get(key_id)

    def is_revoked(self, credential_id: str) -> bool:
        return credential_id in self.revocations

    def highest_sequence(self, rooms: Iterable[int]) -> int:
        return max((self.sequences.get(r, 0) for r in rooms), default=0)

    def raise_sequence(self, rooms: Iterable[int], sequence: int) -> None:
        for room in rooms:
            if self.sequences.get(room, 0) < sequence:
                self.sequences[room] = sequence

    def slot_open(self, *, area: int, floor: int, rooms: Iterable[int], at: datetime) -> bool:
        rooms = set(rooms)
        return any(s.area == area and s.floor == floor and s.room in rooms and s.start <= at < s.end
                   for s in self.slots.values())

    def put_slot(self, slot: BookedSlot) -> None:
        self.slots[slot.booking_id] = slot

    def drop_slot(self, booking_id: str) -> None:
        self.slots.pop(booking_id, None)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        saved = copy.deepcopy(self.__dict__)
        try:
            yield
        except BaseException:
            self.__dict__.update(saved)
            raise

    def applied(self, command_id: str) -> AppliedCommand | None:
        return self.commands.get(command_id)

    def record_applied(self, command: AppliedCommand, *, at: datetime) -> None:
        self.commands[command.command_id] = command
        self.command_times[command.command_id] = at

    def put_key(self, key: PublicKey) -> None:
        self.keys[key.key_id] = key

    def revoke(self, credential_id: str, *, until: datetime | None, at: datetime) -> None:
        self.revocations[credential_id] = until

    def put_credential(self, credential: StoredCredential) -> None:
        self.credentials[credential.credential_id] = credential

    def park(self, credential_id: str, *, key_id: int, valid_until: datetime, card: bytes) -> bool:
        if credential_id not in self.parked and len(self.parked) >= PARKED_LIMIT:
            return False
        self.parked[credential_id] = (key_id, valid_until, card)
        return True

    def unpark(self, key_id: int) -> list[bytes]:
        ids = [c for c, (k, _until, _card) in self.parked.items() if k == key_id]
        return [self.parked.pop(c)[2] for c in ids]

    def purge(self, *, now: datetime, keep_commands: timedelta = COMMAND_MEMORY) -> int:
        """Forget what has expired (see SqliteAccessState.purge)."""
        gone = [c for c, until in self.revocations.items() if until is not None and until <= now]
        for credential_id in gone:
            del self.revocations[credential_id]
        self.credentials = {k: c for k, c in self.credentials.items() if c.valid_until > now}
        self.parked = {k: p for k, p in self.parked.items() if p[1] > now}
        self.slots = {k: s for k, s in self.slots.items() if s.end > now}
        self.commands = {k: c for k, c in self.commands.items()
                         if self.command_times[k] > now - keep_commands}
        return len(gone)
