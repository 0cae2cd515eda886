"""Signing keys with ids and validity windows; picks the key that signs at an instant."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from cloud.keys.errors import KeyFileError, NoSigningKey

GRACE = timedelta(days=62)  # cards signed before a rotation may outlive the key by this much


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One Ed25519 key: it signs cards issued in [not_before, not_after)."""

    key_id: int
    private: Ed25519PrivateKey
    not_before: datetime
    not_after: datetime | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.key_id <= 0xFFFF:
            raise KeyFileError(f"key id {self.key_id} outside 0..65535")
        if self.not_before.tzinfo is None or (self.not_after and self.not_after.tzinfo is None):
            raise KeyFileError(f"key {self.key_id}: window instants must be aware")
        if self.not_after is not None and self.not_after <= self.not_before:
            raise KeyFileError(f"key {self.key_id}: not_after is not after not_before")

    def covers(self, at: datetime) -> bool:
        return self.not_before <= at and (self.not_after is None or at < self.not_after)

    def public_bytes(self) -> bytes:
        """The raw 32-byte public key that gateways hold."""
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


class Keyring:
    """The property's signing keys; during a rotation the newest covering key signs."""

    def __init__(self, keys: list[SigningKey]) -> None:
        ids = [k.key_id for k in keys]
        if len(set(ids)) != len(ids):
            raise KeyFileError(f"duplicate key ids in {sorted(ids)}")
        self._keys = sorted(keys, key=lambda k: (k.not_before, k.key_id))

    def __iter__(self) -> Iterator[SigningKey]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def signing_key(self, at: datetime) -> SigningKey:
        covering = [k for k in self._keys if k.covers(at)]
        if not covering:
            raise NoSigningKey(f"no signing key is valid at {at.isoformat()}")
        return covering[-1]

    def by_id(self, key_id: int) -> SigningKey:
        for key in self._keys:
            if key.key_id == key_id:
                return key
        raise NoSigningKey(f"no key with id {key_id}")
