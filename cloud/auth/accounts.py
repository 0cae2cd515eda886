"""Staff accounts and the properties they belong to."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.errors import Forbidden, InvalidAccount
from cloud.auth.models import PropertyScope, StaffSession, StaffUser
from cloud.auth.passwords import Passwords, password_problem
from cloud.auth.roles import Principal, Role, can_manage
from cloud.core.errors import Conflict, NotFound
from mqtt.envelope import new_id, utcnow

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
SLUG = re.compile(r"^[a-z0-9-]{1,63}$")


def ensure_property(session: Session, *, site: str, chain: str, name: str,
                    time_zone: str = "UTC", currency: str = "EUR") -> PropertyScope:
    """Create a property's scope or update its name, zone and currency (never its chain)."""
    if not SLUG.match(site) or not SLUG.match(chain):
        raise InvalidAccount("site and chain must be slugs ([a-z0-9-], at most 63)")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidAccount(f"unknown time zone {time_zone!r}") from exc
    prop = session.get(PropertyScope, site) or PropertyScope(site=site, chain=chain)
    if prop.chain != chain:
        raise Conflict(f"property {site!r} belongs to chain {prop.chain!r}; its staff would lose their scope")
    prop.chain, prop.name, prop.time_zone, prop.currency = chain, name, time_zone, currency
    session.add(prop)
    session.flush()
    return prop


def visible_sites(session: Session, principal: Principal) -> list[str]:
    """The properties whose data ``principal`` may see."""
    if principal.role is Role.CHAIN_ADMIN:
        query = select(PropertyScope.site).where(PropertyScope.chain == principal.chain)
        return list(session.scalars(query.order_by(PropertyScope.site)))
    return [principal.site] if principal.site else []


def chain_of(session: Session, site: str) -> str | None:
    prop = session.get(PropertyScope, site)
    return prop.chain if prop else None


def principal_of(session: Session, user: StaffUser, *, session_id: str | None = None,
                 csrf: str | None = None) -> Principal:
    prop = session.get(PropertyScope, user.site) if user.site else None
    return Principal(
        user_id=user.id, username=user.username, display_name=user.display_name, role=Role(user.role),
        chain=user.chain, site=user.site, session_id=session_id, csrf_token=csrf,
        time_zone=prop.time_zone if prop else "UTC",
    )


def create_staff(session: Session, *, actor: Principal | str, passwords: Passwords, username: str,
                 display_name: str, password: str, role: Role, site: str | None,
                 chain: str | None = None) -> StaffUser:
    """A new account; a property's staff take the chain of their property."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise InvalidAccount("username: 2-64 of a-z 0-9 . _ -, starting with a letter or digit")
    if not display_name.strip() or len(display_name) > 200:
        raise InvalidAccount("display name: 1-200 characters")
    problem = password_problem(password, username=username)
    if problem:
        raise InvalidAccount(problem)
    chain = _scope_chain(session, role=role, site=site, chain=chain)
    if isinstance(actor, Principal) and not can_manage(actor, target_role=role, target_site=site,
                                                        target_chain=chain):
        raise Forbidden("you may not create this account")
    if session.scalar(select(func.count()).where(StaffUser.username == username)):
        raise Conflict(f"username {username!r} is taken")
    user = StaffUser(
        id=new_id(), username=username, display_name=display_name.strip(),
        password_hash=passwords.hash(password),
        role=role.value, chain=chain, site=site, active=True, failures=0, created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit(session, actor, "staff.create", "staff", user.id, {"role": role.value, "site": site}, site=site)
    return user


def _scope_chain(session: Session, *, role: Role, site: str | None, chain: str | None) -> str:
    if role is Role.CHAIN_ADMIN:
        if site is not None or not chain or not SLUG.match(chain):
            raise InvalidAccount("a chain administrator has a chain and no property")
        return chain
    if site is None:
        raise InvalidAccount("this role belongs to a property")
    prop_chain = chain_of(session, site)
    if prop_chain is None:
        raise InvalidAccount(f"unknown property {site!r}")
    return prop_chain


def get_staff(session: Session, user_id: str, *, actor: Principal) -> StaffUser:
    user = session.get(StaffUser, user_id)
    if user is None or not can_manage(actor, target_role=Role(user.role), target_site=user.site,
                                      target_chain=user.chain):
        raise NotFound("no such staff member")
    return user


def list_staff(session: Session, *, actor: Principal) -> list[StaffUser]:
    """The accounts ``actor`` may manage, by username."""
    query = select(StaffUser).where(StaffUser.chain == actor.chain).order_by(StaffUser.username)
    if actor.role is not Role.CHAIN_ADMIN:
        query = query.where(StaffUser.site == actor.site)
    return [u for u in session.scalars(query)
            if can_manage(actor, target_role=Role(u.role), target_site=u.site, target_chain=u.chain)]


def set_active(session: Session, *, actor: Principal, user_id: str, active: bool) -> StaffUser:
    user = get_staff(session, user_id, actor=actor)
    if user.id == actor.user_id and not active:
        raise InvalidAccount("you cannot deactivate your own account")
    user.active = active
    action = "staff.activate" if active else "staff.deactivate"
    audit(session, actor, action, "staff", user.id, site=user.site)
    return user


def reset_password(session: Session, *, actor: Principal, passwords: Passwords, user_id: str,
                   password: str) -> StaffUser:
    user = get_staff(session, user_id, actor=actor)
    problem = password_problem(password, username=user.username)
    if problem:
        raise InvalidAccount(problem)
    user.password_hash = passwords.hash(password)
    user.failures, user.failure_window_start, user.locked_until = 0, None, None
    open_sessions = (StaffSession.user_id == user.id, StaffSession.revoked_at.is_(None))
    session.execute(update(StaffSession).where(*open_sessions).values(revoked_at=utcnow()))  # all end
    audit(session, actor, "staff.password_reset", "staff", user.id, site=user.site)
    return user


def change_own_password(session: Session, *, actor: Principal, passwords: Passwords, current: str,
                        new: str) -> StaffUser:
    """Staff change their own password with the current one; every session of theirs ends."""
    user = session.get(StaffUser, actor.user_id)
    if user is None or not passwords.verify(user.password_hash, current):
        raise InvalidAccount("the current password is wrong")
    problem = password_problem(new, username=user.username)
    if problem:
        raise InvalidAccount(problem)
    user.password_hash = passwords.hash(new)
    open_sessions = (StaffSession.user_id == user.id, StaffSession.revoked_at.is_(None))
    session.execute(update(StaffSession).where(*open_sessions).values(revoked_at=utcnow()))
    audit(session, actor, "staff.password_change", "staff", user.id, site=user.site)
    return user


def set_own_email(session: Session, *, actor: Principal, email: str | None) -> StaffUser:
    """Staff set the address their unlock links go to (checked by the caller)."""
    user = session.get(StaffUser, actor.user_id)
    if user is None:
        raise NotFound("no such staff member")
    user.email = email
    return user
