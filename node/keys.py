"""The node's own card-signing key: made on the node, never leaving it (the cloud sees only the
public half), usable only within the window the property key delegated to it."""

from __future__ import annotations

import base64
import os
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from cloud.keys.keyring import Keyring, SigningKey
from mqtt.access_messages import KeyDelegate

KEY_FILE = "card-key.raw"
SEAL_FILE = "seal-key.raw"  # X25519: guests' data between the node and the cloud (cloud/node/seal.py)


class NoDelegation(Exception):
    """The node holds no delegation covering now: it must not sign cards."""


def load_or_create(data_dir: Path) -> Ed25519PrivateKey:
    """The node's private card key (32 raw bytes, mode 0600), made on first start."""
    path = data_dir / KEY_FILE
    if path.exists():
        return Ed25519PrivateKey.from_private_bytes(path.read_bytes())
    key = Ed25519PrivateKey.generate()
    _write_private(path, key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))
    return key


def load_or_create_seal(data_dir: Path) -> X25519PrivateKey:
    """The node's private sealing key (32 raw bytes, mode 0600), made on first start."""
    path = data_dir / SEAL_FILE
    if path.exists():
        return X25519PrivateKey.from_private_bytes(path.read_bytes())
    key = X25519PrivateKey.generate()
    _write_private(path, key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))
    return key


def _write_private(path: Path, raw: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(raw)
        out.flush()
        os.fsync(out.fileno())


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def keyring(key: Ed25519PrivateKey, delegation: KeyDelegate | None, *, now: datetime) -> Keyring:
    """A keyring of the node's key within its delegated window; NoDelegation otherwise."""
    if delegation is None:
        raise NoDelegation("the cloud has not delegated a card key to this node yet")
    public = base64.urlsafe_b64decode(delegation.public_key + "=" * (-len(delegation.public_key) % 4))
    if public != public_bytes(key):
        raise NoDelegation(f"delegation {delegation.key_id} is for another key")
    if not delegation.valid_from <= now < delegation.valid_until:
        raise NoDelegation(f"delegation {delegation.key_id} ended {delegation.valid_until}")
    return Keyring([SigningKey(delegation.key_id, key, delegation.valid_from, delegation.valid_until)])
