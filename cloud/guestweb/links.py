"""Opaque signed references for guest links: what a link grants, to which booking, until when.

A reference is ``base64url(purpose:id:expiry).base64url(mac)`` with a 128-bit HMAC-SHA256 tag
under a key derived from the app's secret, so a guest can reach only their own booking and
nobody can walk the bookings by counting. Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

PURPOSES = ("stay", "precheckin", "checkin", "optout")
_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
TAG_BYTES = 16


class BadLink(ValueError):
    """A reference that was altered, is for something else, or has expired."""


@dataclass(frozen=True, slots=True)
class Grant:
    purpose: str
    reservation_id: str
    expires_at: datetime


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,400}", text):
        raise BadLink("the link is damaged")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise BadLink("the link is damaged") from None
    if _b64(raw) != text:  # the last character's spare bits changed: one reference, one spelling
        raise BadLink("the link is damaged")
    return raw


class LinkSigner:
    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), b"posada guest links v1", hashlib.sha256).digest()

    def sign(self, *, purpose: str, reservation_id: str, expires_at: datetime) -> str:
        if purpose not in PURPOSES or not _ID.match(reservation_id):
            raise ValueError("unknown purpose or reservation id")
        body = f"{purpose}:{reservation_id}:{int(expires_at.timestamp())}".encode()
        return f"{_b64(body)}.{_b64(self._tag(body))}"

    def verify(self, reference: str, *, purpose: str, now: datetime) -> Grant:
        body_text, _, tag_text = reference.partition(".")
        body, tag = _unb64(body_text), _unb64(tag_text or "-")
        if not hmac.compare_digest(tag, self._tag(body)):
            raise BadLink("the link is damaged or was changed")
        try:
            kind, rid, expiry = body.decode("ascii").split(":")
            expires_at = datetime.fromtimestamp(int(expiry), UTC)
        except ValueError:
            raise BadLink("the link is damaged") from None
        if kind != purpose:
            raise BadLink("this link is for something else")
        if now >= expires_at:
            raise BadLink("the link has expired")
        return Grant(kind, rid, expires_at)

    def _tag(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:TAG_BYTES]
