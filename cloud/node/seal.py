"""Guests' personal data between the cloud and a property node, sealed as the cloud seals its
columns (AES-256-GCM, the context authenticated), under a key only the two of them can make:
X25519 between the cloud's sealing key and the node's (each keeps its private half; the cloud's
public half rides in the replica, the node's is registered with its card key).

The replica's copies are sealed with a nonce derived from the text and its context, so an
unchanged guest seals to the same token and the replica's changes stay small (it tells only that
two copies are equal); walk-ins' data is sealed with a random nonce.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

PREFIX = "n1:"


class SealError(ValueError):
    """A token is corrupt, was moved to another guest, or was sealed under another key."""


@dataclass(frozen=True, slots=True)
class GuestData:
    name: str
    email: str = ""
    phone: str = ""

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "email": self.email, "phone": self.phone}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> GuestData:
        try:
            raw = json.loads(text)
            return cls(
                name=str(raw["name"])[:200],
                email=str(raw.get("email", ""))[:254],
                phone=str(raw.get("phone", ""))[:40],
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise SealError("a sealed guest is not name, e-mail and phone") from exc


def public_b64(key: X25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def derived_key(secret: str) -> X25519PrivateKey:
    """The cloud's sealing key, from its secret (every worker makes the same one)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"posada-node-seal", info=b"x25519")
    return X25519PrivateKey.from_private_bytes(hkdf.derive(secret.encode("utf-8")))


class LinkCipher:
    """One side's private key and the other side's public key (base64url, 32 bytes)."""

    def __init__(self, private: X25519PrivateKey, peer_public: str) -> None:
        try:
            raw = base64.urlsafe_b64decode(peer_public + "=" * (-len(peer_public) % 4))
            peer = X25519PublicKey.from_public_bytes(raw)
        except (binascii.Error, ValueError) as exc:
            raise SealError("the peer's sealing key is not an X25519 public key") from exc
        shared = private.exchange(peer)
        self._key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"posada-node-link", info=b"guest-data"
        ).derive(shared)
        self._aead = AESGCM(self._key)

    def seal(self, text: str, *, context: str, stable: bool = False) -> str:
        plain = text.encode("utf-8")
        nonce = (
            hmac.new(self._key, context.encode() + b"\x00" + plain, hashlib.sha256).digest()[:12]
            if stable
            else os.urandom(12)
        )
        body = self._aead.encrypt(nonce, plain, context.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + body).decode()

    def open(self, token: str, *, context: str) -> str:
        if not token.startswith(PREFIX):
            raise SealError("not a sealed token")
        try:
            raw = base64.urlsafe_b64decode(token[len(PREFIX) :].encode())
            return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode("utf-8")
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise SealError(f"cannot open {context}") from exc


def guest_context(site: str, node: str, reservation_id: str) -> str:
    """What a sealed guest is bound to: a token moved to another stay or node does not open."""
    return f"node-guest:{site}:{node}:{reservation_id}"


def staff_context(site: str, node: str, username: str) -> str:
    """What a staff member's sealed password hash is bound to (this node, this account)."""
    return f"node-staff:{site}:{node}:{username}"
