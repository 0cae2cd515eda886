"""Unlock by e-mail: staff whose sign-in must wait ask for a link to their own address; opening it
(and confirming) forgets the account's failures. No CAPTCHA, and no lock to begin with.

The link carries the account, its expiry and an HMAC over both and the account's current
failures, so it works once (unlocking changes the failures), only for a while, and cannot be
made without the server's secret. Asking for it answers the same whether the account exists or
not, so it tells an attacker nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.models import StaffUser

LIFETIME = timedelta(minutes=30)
EVERY = timedelta(minutes=5)  # at most one link per account this often
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class UnlockMailer(Protocol):
    """Queues the e-mail with the link in the caller's transaction (notify's outbox)."""

    def __call__(self, session: Session, *, address: str, link: str, dedupe_key: str,
                 now: datetime) -> None: ...


def email_problem(address: str) -> str | None:
    return None if EMAIL.match(address) and len(address) <= 254 else "not an e-mail address"


def _mac(user: StaffUser, expires: int, secret: str) -> str:
    stamp = user.locked_until.isoformat() if user.locked_until else "-"
    message = f"unlock:{user.id}:{expires}:{user.failures}:{stamp}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def make_token(user: StaffUser, *, secret: str, now: datetime) -> str:
    expires = int((now + LIFETIME).timestamp())
    return f"{user.id}.{expires}.{_mac(user, expires, secret)}"


def request_link(session: Session, *, username: str, base_url: str, secret: str, now: datetime,
                 mailer: UnlockMailer) -> None:
    """Send an unlock link if the account exists, has an address and has failed sign-ins."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username.strip().lower()[:64]))
    if user is None or not user.email or not user.failures or not user.active:
        return
    token = make_token(user, secret=secret, now=now)
    window = int(now.timestamp() // EVERY.total_seconds())
    mailer(session, address=user.email, link=f"{base_url.rstrip('/')}/signin/unlock/{token}",
           dedupe_key=f"staff-unlock:{user.id}:{user.failures}:{window}", now=now)
    audit(session, "system:unlock-link", "staff.unlock_link_sent", "staff", user.id, site=user.site)


def check_token(session: Session, token: str, *, secret: str, now: datetime) -> StaffUser | None:
    """The account a live, untampered link names, else None."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[1].isdigit() or len(token) > 200:
        return None
    user = session.get(StaffUser, parts[0][:26])
    expires = int(parts[1])
    if user is None or now.timestamp() > expires:
        return None
    return user if hmac.compare_digest(parts[2], _mac(user, expires, secret)) else None
