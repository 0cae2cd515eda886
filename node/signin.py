"""Staff sign in at the node's desk with their own cloud account, under the cloud's rules.

The replica names the desk's staff (``ReplicaAccess``): each account's role and scope, and its
argon2id password hash sealed for this node, which only this node's key opens. A password is
checked against that hash as the cloud checks it (``cloud.auth.passwords``); failures make the
next attempt wait per account and per client address as the cloud's throttle does
(``cloud.auth.throttle``), with the cloud's numbers. A session lasts the cloud's lifetime and
ends after its idle limit, and at once when the account leaves the replica (deactivated, moved
or demoted in the cloud). Only a token's SHA-256 is kept; sessions live in memory, so a
restart of the node signs everyone out.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from cloud.auth.passwords import MAX_LENGTH, Passwords
from cloud.auth.settings import AuthSettings
from cloud.auth.throttle import NO_WAIT, Attempts, Throttle
from cloud.node.seal import LinkCipher, SealError, staff_context
from mqtt.node_messages import ReplicaAccess, ReplicaStaff
from node.app import PropertyNode

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


@dataclass(frozen=True, slots=True)
class _Session:
    username: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


class DeskSignIn:
    def __init__(self, node: PropertyNode, *, passwords: Passwords | None = None) -> None:
        self.node = node
        self.passwords = passwords or Passwords(AuthSettings())
        self._sessions: dict[str, _Session] = {}
        self._accounts: dict[str, Attempts] = {}
        self._addresses: dict[str, Attempts] = {}
        self._lock = threading.Lock()

    def sign_in(
        self, username: str, password: str, *, now: datetime, address: str = ""
    ) -> str | SignInRefused:
        """A new session's token, or why not (an attempt during a wait is refused unchecked)."""
        access = self._access()
        name = username.strip().lower()[:64]
        accounts, addresses = _throttles(access)
        with self._lock:
            wait = max(
                accounts.wait(self._accounts.get(name, Attempts()), now=now),
                addresses.wait(self._addresses.get(address, Attempts()), now=now) if address else NO_WAIT,
            )
        if wait > NO_WAIT:
            return SignInRefused("throttled", retry_after=max(1, math.ceil(wait.total_seconds())))
        staff = next((s for s in access.staff if s.username == name), None) if access else None
        stored = self._hash(staff) if staff is not None else None
        if self.passwords.verify(stored, password[:MAX_LENGTH]) and staff is not None:
            token = PREFIX + secrets.token_urlsafe(32)
            lifetime = timedelta(minutes=access.session_lifetime_minutes if access else 1)
            with self._lock:
                self._accounts.pop(name, None)
                self._sessions[_digest(token)] = _Session(name, now, now, now + lifetime)
            return token
        with self._lock:
            if address:
                self._addresses[address] = addresses.after_failure(
                    self._addresses.get(address, Attempts()), now=now
                )
            if staff is not None:
                self._accounts[name] = accounts.after_failure(self._accounts.get(name, Attempts()), now=now)
        return SignInRefused("bad_credentials" if access and access.staff else "no_staff")

    def resolve(self, token: str, *, now: datetime) -> DeskStaff | None:
        """The staff member of a live session (None: unknown, expired, idle, or the account is no
        longer one the cloud lets sign in here)."""
        if not token.startswith(PREFIX) or len(token) > 100:
            return None
        key = _digest(token)
        access = self._access()
        with self._lock:
            found = self._sessions.get(key)
            if found is None:
                return None
            idle = timedelta(minutes=access.session_idle_minutes if access else 0)
            staff = next((s for s in access.staff if s.username == found.username), None) if access else None
            if now >= found.expires_at or now - found.last_seen_at >= idle or staff is None:
                del self._sessions[key]
                return None
            self._sessions[key] = replace(found, last_seen_at=now)
        return DeskStaff(staff.username, staff.display_name or staff.username, staff.role)

    def sign_out(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(_digest(token), None)

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


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
