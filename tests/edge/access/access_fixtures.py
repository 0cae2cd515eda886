"""A property with one signing key and cards issued by the real issuer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cloud.cards.signing import CardRequest, issue
from cloud.keys.keyring import Keyring, SigningKey
from edge.access.memory import MemoryAccessState
from edge.access.ports import PublicKey
from edge.access.store import SqliteAccessState
from edge.clock import TimeReading
from mqtt.keycard import Area, Kind

State = MemoryAccessState | SqliteAccessState
SITE = 7
T0 = datetime(2026, 10, 20, 15, 0, tzinfo=UTC)


@dataclass
class Desk:
    """The front desk: issues cards signed with the property's key."""

    key: SigningKey = field(default_factory=lambda: SigningKey(
        1, Ed25519PrivateKey.generate(), T0 - timedelta(days=365)))
    next_id: int = 1000

    def card(self, *, at: datetime = T0, **changes: object) -> bytes:
        self.next_id += 1
        fields: dict[str, object] = dict(
            kind=Kind.GUEST, credential_id=self.next_id, site=SITE, valid_from=at,
            valid_until=at + timedelta(days=2), sequence=1, guest=1, floor=3,
            areas=Area.POOL | Area.GYM, lift_floors=frozenset({0, 3}), rooms=(301,))
        fields.update(changes)
        return issue(CardRequest(**fields), keyring=Keyring([self.key]),  # type: ignore[arg-type]
                     now=at).data

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.key.key_id, self.key.public_bytes())


def trusted(at: datetime) -> TimeReading:
    return TimeReading(at=at, trusted=True, not_before=None, offset_s=0.0)
