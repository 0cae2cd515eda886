"""Sign-in, portal sessions and API tokens: server-side rows that can be revoked."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from cloud.auth.accounts import principal_of
from cloud.auth.audit import audit
from cloud.auth.models import ApiToken, SigninAddress, StaffSession, StaffUser
from cloud.auth.passwords import Passwords
from cloud.auth.principal_cache import Resolved
from cloud.auth.roles import Principal
from cloud.auth.settings import AuthSettings
from cloud.auth.throttle import NO_WAIT, Attempts, Throttle
from cloud.auth.tokens import API_PREFIX, SESSION_PREFIX, csrf_for, new_token, token_hash
from mqtt.envelope import new_id

log = logging.getLogger(__name__)
TOUCH_EVERY = timedelta(seconds=60)  # write last_seen at most this often


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    principal: Principal
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Refused:
    reason: Literal["bad_credentials", "throttled"]
    retry_after: int = 0  # seconds before the next attempt may be made


def account_throttle(settings: AuthSettings) -> Throttle:
    return Throttle(free=settings.lockout_threshold,
                    window=timedelta(minutes=settings.lockout_window_minutes),
                    first_wait=timedelta(seconds=settings.signin_first_wait_seconds),
                    longest_wait=timedelta(seconds=settings.signin_account_longest_wait_seconds))


def address_throttle(settings: AuthSettings) -> Throttle:
    return Throttle(free=settings.signin_address_threshold,
                    window=timedelta(minutes=settings.lockout_window_minutes),
                    first_wait=timedelta(seconds=settings.signin_first_wait_seconds),
                    longest_wait=timedelta(seconds=settings.signin_address_longest_wait_seconds))


def sign_in(session: Session, *, username: str, password: str, now: datetime, settings: AuthSettings,
            passwords: Passwords, user_agent: str = "", address: str | None = None) -> SignedIn | Refused:
    """Check a password and open a session. The caller commits either way (failures count).

    Past a number of failures, per account and per client ``address``, the next attempt must
    wait (``cloud.auth.throttle``); an attempt during a wait is refused unchecked."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username.strip().lower()[:64]))
    per_account, per_address = account_throttle(settings), address_throttle(settings)
    from_address = session.get(SigninAddress, address) if address else None
    wait = max(per_account.wait(_state(user), now=now) if user else NO_WAIT,
               per_address.wait(_address_state(from_address), now=now) if from_address else NO_WAIT)
    if wait > NO_WAIT:
        return Refused("throttled", retry_after=max(1, math.ceil(wait.total_seconds())))
    matches = passwords.verify(user.password_hash if user else None, password)
    if matches and user is not None and user.active:
        _store(user, Attempts())
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash(password)
        return _open(session, user=user, now=now, settings=settings, user_agent=user_agent)
    if address:
        _count_address(session, address, per_address, now=now)
    if user is not None:
        after = per_account.after_failure(_state(user), now=now)
        _store(user, after)
        if after.failures == per_account.free:
            audit(session, "system:throttle", "staff.throttled", "staff", user.id, site=user.site)
            log.warning("sign-in throttled", extra={"staff": user.username, "site": user.site})
    log.info("sign-in refused", extra={"staff": username[:64], "address": address})
    return Refused("bad_credentials")


def _state(user: StaffUser) -> Attempts:
    return Attempts(user.failures, user.failure_window_start, user.locked_until)


def _store(user: StaffUser, state: Attempts) -> None:
    """``failure_window_start`` holds the last failure's time, ``locked_until`` the wait's end."""
    user.failures, user.failure_window_start, user.locked_until = (
        state.failures, state.last_failure_at, state.wait_until)


def _address_state(row: SigninAddress) -> Attempts:
    return Attempts(row.failures, row.last_failure_at, row.wait_until)


def _count_address(session: Session, address: str, throttle: Throttle, *, now: datetime) -> None:
    """Count a failure from ``address``; two at once from one address both count."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(SigninAddress).values(address=address, failures=0)
                    .on_conflict_do_nothing(index_elements=["address"]))
    row = session.scalars(select(SigninAddress).where(SigninAddress.address == address)
                          .with_for_update().execution_options(populate_existing=True)).one()
    after = throttle.after_failure(_address_state(row), now=now)
    row.failures, row.last_failure_at, row.wait_until = (
        after.failures, after.last_failure_at, after.wait_until)


def unlock(session: Session, *, user: StaffUser, actor: Principal | str) -> None:
    """Forget an account's failures: its next sign-in need not wait."""
    _store(user, Attempts())
    audit(session, actor, "staff.unlock", "staff", user.id, site=user.site)


def _open(session: Session, *, user: StaffUser, now: datetime, settings: AuthSettings,
          user_agent: str) -> SignedIn:
    token = new_token(SESSION_PREFIX)
    row = StaffSession(
        id=new_id(), token_hash=token_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
        expires_at=now + timedelta(minutes=settings.session_lifetime_minutes), user_agent=user_agent[:255],
    )
    session.add(row)
    csrf = csrf_for(token, secret=settings.secret_key)
    principal = principal_of(session, user, session_id=row.id, csrf=csrf)
    return SignedIn(token=token, principal=principal, expires_at=row.expires_at)


def resolve_session(session: Session, token: str, *, now: datetime,
                    settings: AuthSettings) -> Principal | None:
    """The principal of a live session cookie, or None (unknown, expired, idle, revoked, inactive)."""
    found = session_principal(session, token, now=now, settings=settings)
    return found.principal if found else None


def session_principal(session: Session, token: str, *, now: datetime,
                      settings: AuthSettings) -> Resolved | None:
    """``resolve_session`` with how long the answer holds if nothing is revoked or changed: until
    the session expires or idles out, or its last use is due to be written again."""
    if not token.startswith(SESSION_PREFIX) or len(token) > 100:
        return None
    found = session.execute(
        select(StaffSession, StaffUser).join(StaffUser, StaffUser.id == StaffSession.user_id)
        .where(StaffSession.token_hash == token_hash(token))
    ).first()
    if found is None:
        return None
    row, user = found
    idle_limit = row.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    if row.revoked_at is not None or now >= row.expires_at or now >= idle_limit or not user.active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    until = min(row.expires_at, row.last_seen_at + TOUCH_EVERY,
                row.last_seen_at + timedelta(minutes=settings.session_idle_minutes))
    csrf = csrf_for(token, secret=settings.secret_key)
    principal = principal_of(session, user, session_id=row.id, csrf=csrf)
    return Resolved(principal, until)


def sign_out(session: Session, token: str, *, now: datetime) -> None:
    session.execute(update(StaffSession).where(StaffSession.token_hash == token_hash(token),
                                               StaffSession.revoked_at.is_(None)).values(revoked_at=now))


def sign_out_everywhere(session: Session, *, user_id: str, now: datetime, actor: Principal | str) -> int:
    """Revoke every open session of a user; returns how many were open."""
    result = session.execute(update(StaffSession).where(StaffSession.user_id == user_id,
                                                        StaffSession.revoked_at.is_(None)).values(revoked_at=now))
    audit(session, actor, "staff.sign_out_everywhere", "staff", user_id)
    return int(result.rowcount)  # type: ignore[attr-defined]


def issue_api_token(session: Session, *, principal: Principal, name: str, now: datetime,
                    settings: AuthSettings) -> tuple[str, ApiToken]:
    """A new bearer token with the principal's role and scope; shown once, stored hashed."""
    token = new_token(API_PREFIX)
    row = ApiToken(id=new_id(), token_hash=token_hash(token), user_id=principal.user_id, name=name[:100],
                   created_at=now, expires_at=now + timedelta(days=settings.api_token_days))
    session.add(row)
    audit(session, principal, "api_token.issue", "api_token", row.id)
    return token, row


def resolve_api_token(session: Session, token: str, *, now: datetime) -> Principal | None:
    found = api_token_principal(session, token, now=now)
    return found.principal if found else None


def api_token_principal(session: Session, token: str, *, now: datetime) -> Resolved | None:
    """The principal of a live bearer token, with how long the answer holds if nothing is revoked
    or changed: until the token expires or its last use is due to be written again."""
    if not token.startswith(API_PREFIX) or len(token) > 100:
        return None
    found = session.execute(
        select(ApiToken, StaffUser).join(StaffUser, StaffUser.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash(token))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or now >= row.expires_at or not user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
    return Resolved(principal_of(session, user), min(row.expires_at, row.last_used_at + TOUCH_EVERY))


def revoke_api_token(session: Session, *, principal: Principal, token_id: str, now: datetime) -> bool:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != principal.user_id or row.revoked_at is not None:
        return False
    row.revoked_at = now
    audit(session, principal, "api_token.revoke", "api_token", row.id)
    return True
