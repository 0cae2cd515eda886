"""The gateway commands that carry signing keys (``key.upsert``, ``key.retire``)."""

from __future__ import annotations

import base64
from datetime import datetime

from cloud.keys.keyring import SigningKey
from mqtt.access_messages import KeyRetire, KeyUpsert


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def key_upsert(key: SigningKey, *, retired_at: datetime | None = None) -> KeyUpsert:
    """Tell gateways to accept cards signed with this key (until ``retired_at``)."""
    return KeyUpsert(key_id=key.key_id, public_key=b64url(key.public_bytes()),
                     retired_at=retired_at)


def key_retire(key_id: int, *, at: datetime) -> KeyRetire:
    return KeyRetire(key_id=key_id, at=at)
