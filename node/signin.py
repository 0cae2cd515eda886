"""Staff sign in at the node's desk with their own cloud account, under the cloud's rules.

The replica names the desk's staff (``ReplicaAccess``): each account's role and scope, and its
argon2id password hash sealed for this node, which only this node's key opens. A password is
checked against that hash as the cloud checks it (``cloud.auth.passwords``); failures make the
next attempt wait per account and per client address as the cloud's throttle does
(``cloud.auth.throttle``), with the cloud's numbers. A session lasts the cloud's lifetime and
ends after its idle limit, and at once when the account leaves the replica (deactivated, moved
or demoted in the cloud), when its password, role or scope changes in the replica, and at
sign-out. Sessions are kept in the node's SQLite (``node/desk_sessions.py``: only a token's
SHA-256), so a restart of the node keeps the desk signed in; failed attempts are counted there
too, per account and per client address (an IPv6 address by its /64, as the cloud counts it),
so a restart does not forget a wait.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cloud.auth.passwords import MAX_LENGTH, Passwords
from cloud.auth.settings import AuthSettings
from cloud.auth.throttle import NO_WAIT, Throttle
from cloud.core.origin import address_key
from cloud.node.seal import LinkCipher, SealError, staff_context
from mqtt.node_messages import ReplicaAccess, ReplicaStaff
from node.app import PropertyNode
from node.desk_sessions import StoredSession

PREFIX = "pnd_"  # a node desk session's token


@dataclass(frozen=True, slots=True)
class DeskStaff:
    username: str
    display_name: str
    role: str


@dataclass(frozen=True, slots=True)
class SignInRefused:
    reason: str  # "bad_credentials", "throttled", "no_staff"
    retry_after: int = 0


class DeskSignIn:
    def __init__(self, node: PropertyNode, *, passwords: Passwords | None = None) -> None:
        self.node = node
        self.passwords = passwords or Passwords(AuthSettings())
        self.sessions = node.sessions

    def sign_in(
        self, username: str, password: str, *, now: datetime, address: str = ""
    ) -> str | SignInRefused:
        """A new session's token, or why not (an attempt during a wait is refused unchecked)."""
        access = self._access()
        name = username.strip().lower()[:64]
        counted = address_key(address) if address else None
        accounts, addresses = _throttles(access)
        wait = max(
            accounts.wait(self.sessions.attempts("account", name), now=now),
            addresses.wait(self.sessions.attempts("address", counted), now=now) if counted else NO_WAIT,
        )
        if wait > NO_WAIT:
            return SignInRefused("throttled", retry_after=max(1, math.ceil(wait.total_seconds())))
        staff = next((s for s in access.staff if s.username == name), None) if access else None
        stored = self._hash(staff) if staff is not None else None
        if self.passwords.verify(stored, password[:MAX_LENGTH]) and staff is not None:
            token = PREFIX + secrets.token_urlsafe(32)
            lifetime = timedelta(minutes=access.session_lifetime_minutes if access else 1)
            self.sessions.clear_failures("account", name)
            self.sessions.purge(now=now)
            self.sessions.open(
                _digest(token), StoredSession(name, fingerprint(staff), now, now, now + lifetime)
            )
            return token
        if counted:
            self.sessions.count_failure("address", counted, addresses, now=now)
        if staff is not None:
            self.sessions.count_failure("account", name, accounts, now=now)
        return SignInRefused("bad_credentials" if access and access.staff else "no_staff")

    def resolve(self, token: str, *, now: datetime) -> DeskStaff | None:
        """The staff member of a live session (None: unknown, expired, idle, or the account is no
        longer one the cloud lets sign in here)."""
        if not token.startswith(PREFIX) or len(token) > 100:
            return None
        key = _digest(token)
        found = self.sessions.get(key)
        if found is None:
            return None
        access = self._access()
        idle = timedelta(minutes=access.session_idle_minutes if access else 0)
        staff = next((s for s in access.staff if s.username == found.username), None) if access else None
        if staff is not None and fingerprint(staff) != found.fingerprint:
            # a password, role or scope changed in the cloud: every session of the account ends
            self.sessions.end_user(found.username, keep_fingerprint=fingerprint(staff))
            return None
        if now >= found.expires_at or now - found.last_seen_at >= idle or staff is None:
            self.sessions.end(key)
            return None
        self.sessions.touch(key, at=now)
        return DeskStaff(staff.username, staff.display_name or staff.username, staff.role)

    def sign_out(self, token: str) -> None:
        self.sessions.end(_digest(token))

    def _access(self) -> ReplicaAccess | None:
        replica = self.node.status.replica()
        return replica.access if replica is not None else None

    def _hash(self, staff: ReplicaStaff) -> str | None:
        replica = self.node.status.replica()
        if replica is None or not replica.seal_key:
            return None
        try:
            cipher = LinkCipher(self.node.seal_key, replica.seal_key)
            context = staff_context(self.node.settings.site, self.node.settings.node, staff.username)
            return cipher.open(staff.password_sealed, context=context)
        except SealError:
            return None


def _throttles(access: ReplicaAccess | None) -> tuple[Throttle, Throttle]:
    rules = access or ReplicaAccess()
    window = timedelta(minutes=rules.lockout_window_minutes)
    first = timedelta(seconds=rules.first_wait_seconds)
    return (
        Throttle(
            rules.lockout_threshold, window, first, timedelta(seconds=rules.account_longest_wait_seconds)
        ),
        Throttle(
            rules.address_threshold, window, first, timedelta(seconds=rules.address_longest_wait_seconds)
        ),
    )


def fingerprint(staff: ReplicaStaff) -> str:
    """What a session was opened under: a change of any of it in the replica ends the session
    (the hash is sealed with a nonce derived from it, so an unchanged password seals the same)."""
    return _digest(f"{staff.role}\x00{staff.site or ''}\x00{staff.password_sealed}")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
