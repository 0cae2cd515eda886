"""The gateway commands that carry keys and cards (``key.upsert``, ``credential.upsert``)."""

from __future__ import annotations

import base64
from datetime import datetime

from cloud.keys.issuer import IssuedCard
from cloud.keys.keyring import SigningKey
from mqtt.access_messages import KeyRetire, KeyUpsert
from mqtt.messages import CredentialRevoke, CredentialUpsert


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def key_upsert(key: SigningKey, *, retired_at: datetime | None = None) -> KeyUpsert:
    """Tell gateways to accept cards signed with this key (until ``retired_at``)."""
    return KeyUpsert(key_id=key.key_id, public_key=b64url(key.public_bytes()),
                     retired_at=retired_at)


def key_retire(key_id: int, *, at: datetime) -> KeyRetire:
    return KeyRetire(key_id=key_id, at=at)


def credential_upsert(issued: IssuedCard, *, rooms: list[str]) -> CredentialUpsert:
    """Announce a new card so the floor cancels older cards of its rooms at once."""
    return CredentialUpsert(credential_id=issued.card.credential_ref, card=b64url(issued.data),
                            rooms=rooms, valid_until=issued.card.valid_until)


def credential_revoke(issued: IssuedCard) -> CredentialRevoke:
    """Revoke a card; gateways may forget the revocation once the card has expired."""
    return CredentialRevoke(credential_id=issued.card.credential_ref,
                            until=issued.card.valid_until)
