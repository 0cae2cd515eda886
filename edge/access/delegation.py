"""Delegated sub-keys at the gateway: accept one from a ``key.delegate`` command only if the
property key signed it, and judge a card signed by one against its window. No I/O."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge.access.errors import CommandRejected
from edge.access.ports import KeyStore, PublicKey
from mqtt.access_messages import KeyDelegate
from mqtt.delegation import Delegation, delegation_message
from mqtt.keycard import Card, CardFormatError


def accept_delegation(data: KeyDelegate, *, keys: KeyStore, now: datetime) -> PublicKey:
    """The sub-key to store, or CommandRejected with the reason (unknown or delegated parent,
    bad signature, a key id already taken by another key)."""
    public, signature = _raw(data.public_key, "public_key"), _raw(data.signature, "signature")
    parent = keys.public_key(data.parent_key_id)
    if parent is None or parent.delegated:
        raise CommandRejected("unknown_key", f"no property key {data.parent_key_id} to vouch")
    if parent.retired_at is not None and now >= parent.retired_at:
        raise CommandRejected("retired_key", f"parent key {parent.key_id} is retired")
    delegation = Delegation(
        key_id=data.key_id,
        parent_key_id=data.parent_key_id,
        site=data.site,
        holder=data.holder,
        public=public,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
    )
    try:
        message = delegation_message(delegation)
        Ed25519PublicKey.from_public_bytes(parent.public).verify(signature, message)
        Ed25519PublicKey.from_public_bytes(public)
    except CardFormatError as exc:
        raise CommandRejected(exc.reason, exc.detail) from None
    except (InvalidSignature, ValueError):
        raise CommandRejected(
            "bad_signature", f"delegation does not verify with key {parent.key_id}"
        ) from None
    existing = keys.public_key(data.key_id)
    if existing is not None and (existing.public != public or not existing.delegated):
        raise CommandRejected("key_conflict", f"key id {data.key_id} already has another key")
    retired = existing.retired_at if existing is not None else None  # a revocation is final
    return PublicKey(
        data.key_id,
        public,
        retired,
        parent=data.parent_key_id,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
    )


def delegation_refusal(
    card: Card, key: PublicKey, *, keys: KeyStore, now: datetime
) -> tuple[str, str] | None:
    """(reason, detail) when a card signed by a delegated key must not open, else None."""
    if key.valid_from is None or key.valid_until is None or key.parent is None:
        return None
    parent = keys.public_key(key.parent)
    if parent is None or (parent.retired_at is not None and now >= parent.retired_at):
        return "retired_key", f"key {key.key_id} lost its parent key {key.parent}"
    if now >= key.valid_until:
        return "delegation_expired", f"delegated key {key.key_id} ended {key.valid_until}"
    if now < key.valid_from:
        return "not_yet_valid", f"delegated key {key.key_id} starts {key.valid_from}"
    if not key.valid_from <= card.issued_at < key.valid_until:
        return "delegation_expired", (
            f"card issued {card.issued_at} outside the window of delegated key {key.key_id}"
        )
    return None


def _raw(text: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise CommandRejected(what, f"not base64url: {exc}") from None
