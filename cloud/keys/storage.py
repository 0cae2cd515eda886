"""Key files: ``key-<id>.pem`` (PKCS#8 Ed25519, mode 0600) with ``key-<id>.json`` (window)."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from cloud.keys.errors import KeyFileError
from cloud.keys.keyring import Keyring, SigningKey


class KeyDirectory:
    """The property's signing keys on disk; the path comes from settings."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def load(self) -> Keyring:
        if not self.path.is_dir():
            raise KeyFileError(f"key directory {self.path} does not exist")
        return Keyring([self._load_one(pem) for pem in sorted(self.path.glob("key-*.pem"))])

    def load_or_create(self, *, now: datetime) -> Keyring:
        """Load the keyring; with no key at all (a demo), create key 1 valid from ``now``."""
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        keyring = self.load()
        if len(keyring) == 0:
            self.create(key_id=1, not_before=now)
            keyring = self.load()
        return keyring

    def create(self, *, key_id: int, not_before: datetime,
               not_after: datetime | None = None) -> SigningKey:
        """Generate a new key (for rotation, give the current key a not_after first)."""
        key = SigningKey(key_id, Ed25519PrivateKey.generate(), not_before, not_after)
        pem_path = self.path / f"key-{key_id}.pem"
        if pem_path.exists():
            raise KeyFileError(f"{pem_path} already exists")
        pem = key.private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        _write_private(pem_path, pem)
        self.set_window(key_id=key_id, not_before=not_before, not_after=not_after)
        return key

    def set_window(self, *, key_id: int, not_before: datetime,
                   not_after: datetime | None) -> None:
        meta = {"key_id": key_id, "not_before": not_before.isoformat(),
                "not_after": not_after.isoformat() if not_after else None}
        tmp = self.path / f"key-{key_id}.json.tmp"
        tmp.write_text(json.dumps(meta, indent=2))
        os.replace(tmp, self.path / f"key-{key_id}.json")

    def _load_one(self, pem_path: Path) -> SigningKey:
        stem = pem_path.stem.removeprefix("key-")
        if not stem.isdigit():
            raise KeyFileError(f"{pem_path.name}: name must be key-<number>.pem")
        try:
            private = load_pem_private_key(pem_path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise KeyFileError(f"{pem_path}: {exc}") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise KeyFileError(f"{pem_path}: not an Ed25519 key")
        not_before, not_after = _read_window(pem_path.with_suffix(".json"), int(stem))
        return SigningKey(int(stem), private, not_before, not_after)


def _read_window(path: Path, key_id: int) -> tuple[datetime, datetime | None]:
    try:
        meta = json.loads(path.read_text())
        if meta["key_id"] != key_id:
            raise KeyFileError(f"{path}: key_id {meta['key_id']} does not match the file name")
        not_before = datetime.fromisoformat(meta["not_before"])
        not_after = datetime.fromisoformat(meta["not_after"]) if meta["not_after"] else None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(f"{path}: {exc}") from None
    return not_before, not_after


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
