"""Field-level encryption (AES-256-GCM with key ids) and keyed blind indexes for search."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import re
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cloud.guests.settings import GuestSettings

KID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class KeyConfigError(ValueError):
    """The configured keys cannot be used (bad id, bad base64, wrong length, unknown active id)."""


class DecryptError(ValueError):
    """A ciphertext is corrupt, was moved to another field or row, or its key is gone."""


@functools.lru_cache(maxsize=64)
def _aead(key: bytes) -> AESGCM:
    """One AES-GCM context per key: building it costs more than opening a short field."""
    return AESGCM(key)


@dataclass(frozen=True)
class FieldCipher:
    keys: dict[str, bytes]
    active: str

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """``kid:base64(nonce|ciphertext)``; ``context`` (table, row id, field) is authenticated."""
        nonce = os.urandom(12)
        sealed = _aead(self.keys[self.active]).encrypt(nonce, plaintext.encode("utf-8"), context.encode())
        return f"{self.active}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, context: str) -> str:
        kid, _, body = token.partition(":")
        key = self.keys.get(kid)
        if key is None:
            raise DecryptError(f"data key {kid!r} is not configured")
        try:
            raw = base64.urlsafe_b64decode(body.encode())
            return _aead(key).decrypt(raw[:12], raw[12:], context.encode()).decode("utf-8")
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise DecryptError(f"cannot decrypt {context}") from exc

    def key_id(self, token: str) -> str:
        return token.partition(":")[0]


@dataclass(frozen=True)
class BlindIndex:
    key: bytes

    def digest(self, kind: str, normalized: str) -> str:
        """A keyed hash: equal inputs match, yet the stored value reveals nothing without the key."""
        return hmac.new(self.key, f"{kind}\x00{normalized}".encode(), hashlib.sha256).hexdigest()[:40]


def _derive(secret: str, label: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"posada-guests", info=label.encode())
    return hkdf.derive(secret.encode("utf-8"))


def _decode_key(text: str, *, what: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error as exc:
        raise KeyConfigError(f"{what}: not base64") from exc
    if len(key) != 32:
        raise KeyConfigError(f"{what}: must be 32 bytes, got {len(key)}")
    return key


def keys_from(settings: GuestSettings) -> tuple[FieldCipher, BlindIndex]:
    """Build the cipher and the index from settings; without configured keys, derive them."""
    index = (_decode_key(settings.guest_index_key, what="POSADA_GUEST_INDEX_KEY")
             if settings.guest_index_key else _derive(settings.secret_key, "blind-index"))
    if not settings.guest_keys.strip():
        return FieldCipher({"derived": _derive(settings.secret_key, "data")}, "derived"), BlindIndex(index)
    keys: dict[str, bytes] = {}
    for item in settings.guest_keys.split(","):
        kid, sep, b64 = item.strip().partition("=")
        if not sep or not KID.match(kid):
            raise KeyConfigError(f"POSADA_GUEST_KEYS: {kid!r} is not kid=base64key (kid: [A-Za-z0-9_-])")
        keys[kid] = _decode_key(b64, what=f"POSADA_GUEST_KEYS[{kid}]")
    active = settings.guest_active_key or list(keys)[-1]
    if active not in keys:
        raise KeyConfigError(f"POSADA_GUEST_ACTIVE_KEY {active!r} is not among POSADA_GUEST_KEYS")
    return FieldCipher(keys, active), BlindIndex(index)


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a name or email."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def normalize_email(email: str) -> str:
    return fold(email)


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return digits.lstrip("0") if not phone.strip().startswith("+") else digits


def normalize_document(country: str, number: str) -> str:
    return f"{country.strip().upper()}:{re.sub(r'[^0-9A-Za-z]', '', number).upper()}"


def name_tokens(name: str) -> set[str]:
    return {t for t in re.split(r"[\W_]+", fold(name)) if t}
