"""Random tokens for cookies and the API, stored only as SHA-256, and CSRF tokens bound to them."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SESSION_PREFIX = "pss_"
API_PREFIX = "psa_"


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Tokens carry 256 random bits, so a plain SHA-256 is a safe lookup key."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_for(binding: str, *, secret: str) -> str:
    """The CSRF token for a session (or an anonymous visitor's cookie): an HMAC of it."""
    return hmac.new(secret.encode(), b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def csrf_ok(candidate: str | None, *, binding: str | None, secret: str) -> bool:
    if not candidate or not binding:
        return False
    return hmac.compare_digest(candidate.encode(), csrf_for(binding, secret=secret).encode())
