"""Signed unsubscribe references: a guest id and an HMAC tag, so a link stops only its own guest.

Pure: no I/O. The key is derived from the app's secret for this purpose alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

_REF = re.compile(r"^([0-9A-HJKMNP-TV-Z]{26})\.([A-Za-z0-9_-]{22})$")


class BadUnsubscribe(ValueError):
    """A reference that was altered or belongs to nobody."""


class UnsubscribeSigner:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(f"posada:marketing:unsubscribe:{secret}".encode()).digest()

    def _tag(self, guest_id: str) -> str:
        mac = hmac.new(self._key, guest_id.encode(), hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def sign(self, guest_id: str) -> str:
        return f"{guest_id}.{self._tag(guest_id)}"

    def verify(self, ref: str) -> str:
        """The guest id the reference was made for; BadUnsubscribe otherwise."""
        found = _REF.match(ref)
        if found is None or not hmac.compare_digest(found.group(2), self._tag(found.group(1))):
            raise BadUnsubscribe("this unsubscribe link is damaged")
        return found.group(1)
