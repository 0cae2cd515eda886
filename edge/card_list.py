"""Allow-list access: a card opens a room when the cloud listed its exact bytes for that room.

The gateway's access mode until signed keycards (the access core) are wired: credentials come
from ``credential.upsert``/``credential.revoke`` and live in the gateway's SQLite store.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from datetime import datetime, timedelta

from edge.errors import CommandRejected
from edge.ports import Clock, Decision
from edge.store import Store
from mqtt.envelope import Envelope, new_id
from mqtt.messages import CredentialRevoke, CredentialUpsert, Data

SCHEMA = """
CREATE TABLE IF NOT EXISTS card_list (
    credential_id TEXT PRIMARY KEY,
    card_hash TEXT NOT NULL,
    rooms TEXT NOT NULL,
    valid_until TEXT,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS card_list_hash ON card_list (card_hash);
"""


def card_bytes(text: str) -> bytes:
    """Decode a base64url card (padding optional); raises ValueError."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("card is not base64url") from None


class CardList:
    """The ``Access`` port over the store; only card hashes are kept."""

    command_types = ("credential.upsert", "credential.revoke")

    def __init__(self, store: Store, *, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        store.execute_script(SCHEMA)

    def apply(self, envelope: Envelope, data: Data) -> None:
        now = self._clock.read().at
        try:
            if isinstance(data, CredentialUpsert):
                self.upsert(data, now=now)
            elif isinstance(data, CredentialRevoke):
                self.revoke(data, now=now)
            else:
                raise CommandRejected(f"{envelope.type!r} is not an allow-list command")
        except ValueError as exc:
            raise CommandRejected(str(exc)) from None

    def __call__(self, *, card: bytes, room: str, door: str | None) -> Decision:
        now = self._clock.read().at
        row = self._store.fetch_one(
            "SELECT credential_id, rooms, valid_until, revoked FROM card_list WHERE card_hash = ?",
            [_hash(card)],
        )
        if row is None:
            return Decision(granted=False, reason="unknown_card")
        credential_id, rooms, valid_until, revoked = row
        if revoked:
            return Decision(granted=False, reason="revoked", credential_id=credential_id)
        if valid_until is not None and now >= datetime.fromisoformat(valid_until):
            return Decision(granted=False, reason="expired", credential_id=credential_id)
        if room not in json.loads(rooms):
            return Decision(granted=False, reason="wrong_room", credential_id=credential_id)
        return Decision(granted=True, reason="listed", credential_id=credential_id, kind="guest")

    def upsert(self, command: CredentialUpsert, *, now: datetime) -> None:
        card = card_bytes(command.card)
        if not card:
            raise ValueError("credential.upsert carries no card")
        until = command.valid_until.isoformat() if command.valid_until else None
        self._store.run(
            "INSERT OR REPLACE INTO card_list (credential_id, card_hash, rooms, valid_until, revoked) "
            "VALUES (?, ?, ?, ?, 0)",
            [command.credential_id, _hash(card), json.dumps(command.rooms), until],
        )

    def revoke(self, command: CredentialRevoke, *, now: datetime) -> None:
        self._store.run("UPDATE card_list SET revoked = 1 WHERE credential_id = ?", [command.credential_id])

    def issue(self, room: str, *, now: datetime, days: int = 2) -> bytes:
        """Encode a new card for ``room`` as the desk's encoder does (the simulated floor uses it)."""
        card = secrets.token_bytes(16)
        self.upsert(CredentialUpsert(credential_id=new_id(), card=base64.urlsafe_b64encode(card).decode(),
                                     rooms=[room], valid_until=now + timedelta(days=days)), now=now)
        return card


def _hash(card: bytes) -> str:
    return hashlib.sha256(card).hexdigest()
