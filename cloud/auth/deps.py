"""FastAPI dependencies every router uses: the database session, the signed-in user, roles.

    from cloud.auth.deps import CurrentUser, require_role, PropertyUser
    from cloud.core.deps import DbSession
from cloud.core.errors import DomainError
from cloud.core.origin import current_origin
    from cloud.auth.roles import Role

    @router.get("/things")
    def things(user: Annotated[Principal, require_role(Role.MANAGER)], db: DbSession): ...

    @router.get("/sites/{site}/rooms")      # the path must have a ``site`` parameter
    def rooms(site: str, user: PropertyUser): ...
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from cloud.auth.accounts import chain_of
from cloud.auth.context import SESSION_COOKIE, AuthContext, auth_context
from cloud.auth.errors import Forbidden, NotAuthenticated
from cloud.auth.principal_cache import Resolved
from cloud.auth.roles import GUEST_DATA_ROLES, STAFF_ADMIN_ROLES, Principal, Role
from cloud.auth.sessions import api_token_principal, session_principal
from cloud.auth.tokens import token_hash
from cloud.core.deps import DbSession
from cloud.core.errors import DomainError
from cloud.core.origin import current_origin
from mqtt.envelope import utcnow

ACCESS_STAMP = "SELECT stamp FROM access_stamp WHERE id = 1"


def credential_key(request: Request) -> str | None:
    """The principal cache's key of the request's bearer token or session cookie, if it has one."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        return "b:" + token_hash(token.strip()) if scheme.lower() == "bearer" else None
    cookie = request.cookies.get(SESSION_COOKIE)
    return "c:" + token_hash(cookie) if cookie else None


def known_credential(request: Request) -> bool:
    """Whether the request's credential resolved to a principal before, in this process: a route
    may then read the access stamp in its own first statement (``stamp_read_with``) instead of a
    read of its own. A credential never seen costs no query before it is checked."""
    key = credential_key(request)
    return key is not None and auth_context(request).principals.knows(key)


def stamp_read_with(request: Request, stamp: int) -> None:
    """The access stamp, read by the route's first statement (before this request's principal is
    resolved): the principal is then checked against it, with no read of its own."""
    request.state.access_stamp = stamp


async def current_principal(request: Request) -> Principal:
    """The staff member behind a bearer token or a portal session cookie.

    One read of the access stamp per request; the token's principal comes from memory while the
    stamp and its time hold (``principal_cache``), else from the database on a worker thread.
    """
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        principal = await _principal(request, token.strip(), cookie=False) if scheme.lower() == "bearer" \
            else None
        if principal is None:
            raise NotAuthenticated("the bearer token is unknown, expired or revoked")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        principal = await _principal(request, cookie, cookie=True) if cookie else None
        if principal is None:
            raise NotAuthenticated("sign in first" if not cookie else "your session has ended; sign in again")
    return _acting(request, principal)


def _acting(request: Request, principal: Principal) -> Principal:
    request.state.principal = principal
    origin = current_origin()
    if origin is not None:  # the audit trail records who acts in this request
        origin.actor_id, origin.actor, origin.role, origin.site = (
            principal.user_id, principal.username, principal.role.value, principal.site)
    return principal


class Unresolved(Exception):  # a signal, not an error: resolve the usual way
    """The credential's principal is not in memory at the stamp read (stale, expired, revoked or
    forgotten): ``current_principal`` decides, before any work."""


class StaffRefused(Exception):
    """A refusal of the request's principal (401, 403) met inside a unit of work, carried out of
    it unchanged: raised there as the domain error it is, it could be taken for the work's own."""

    def __init__(self, refusal: DomainError) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


def principal_at(request: Request, stamp: int, allowed: frozenset[Role]) -> Principal:
    """``current_principal`` and ``check_role`` for a credential this process has resolved
    (``known_credential``), against an access stamp the caller read itself (e.g. as its unit of
    work's first statement, on a worker thread): the principal from memory, else ``Unresolved``;
    a role not allowed is ``StaffRefused``."""
    key = credential_key(request)
    principal = None if key is None else auth_context(request).principals.get(key, stamp=stamp, now=utcnow())
    if principal is None:
        raise Unresolved
    try:
        check_role(principal, allowed)
    except Forbidden as exc:
        raise StaffRefused(exc) from None
    return _acting(request, principal)


async def _principal(request: Request, token: str, *, cookie: bool) -> Principal | None:
    ctx = auth_context(request)
    now = utcnow()
    key = ("c:" if cookie else "b:") + token_hash(token)
    read = getattr(request.state, "access_stamp", None)
    stamp = int(await ctx.reads.scalar(ACCESS_STAMP)) if read is None else read
    principal = ctx.principals.get(key, stamp=stamp, now=now)
    if principal is not None:
        return principal
    found = await run_in_threadpool(_resolve, ctx, token, cookie=cookie, now=now)
    if found is None:
        return None
    ctx.principals.put(key, found, stamp=stamp)
    return found.principal


def _resolve(ctx: AuthContext, token: str, *, cookie: bool, now: datetime) -> Resolved | None:
    with ctx.sessionmaker.begin() as db:  # committed: the last-use stamp is kept
        if cookie:
            return session_principal(db, token, now=now, settings=ctx.settings)
        return api_token_principal(db, token, now=now)


CurrentUser = Annotated[Principal, Depends(current_principal)]


def check_role(principal: Principal, allowed: frozenset[Role]) -> Principal:
    """Refuse a principal whose role is not one of ``allowed`` (``require_role``'s check, for a
    dependency that resolves the principal itself)."""
    if principal.role not in allowed:
        raise Forbidden(f"this needs one of the roles: {', '.join(sorted(r.value for r in allowed))}")
    return principal


def require_role(*roles: Role) -> Any:
    """``Annotated[Principal, require_role(Role.MANAGER, ...)]``, or in ``dependencies=[...]``."""
    allowed = frozenset(roles)

    async def check(principal: CurrentUser) -> Principal:  # async: no I/O, no thread-pool hop
        return check_role(principal, allowed)

    check.roles = allowed  # type: ignore[attr-defined]  # read by the route-wide security test
    return Depends(check)


def check_property(db: Session, principal: Principal, site: str) -> None:
    """Refuse a principal who does not work at ``site`` (or in its chain, for a chain admin)."""
    chain = chain_of(db, site) if principal.role is Role.CHAIN_ADMIN else None  # only they need it
    if not principal.sees_site(site, chain_of_site=chain):
        raise Forbidden(f"you have no access to property {site!r}")


def require_property_access(site: str, principal: CurrentUser, db: DbSession) -> Principal:
    """For routes with a ``{site}`` path (or query) parameter."""
    check_property(db, principal, site)
    db.commit()  # leave no transaction open: handlers may ``with session.begin():``
    return principal


PropertyUser = Annotated[Principal, Depends(require_property_access)]
GuestDataUser = Annotated[Principal, require_role(*GUEST_DATA_ROLES)]
StaffAdmin = Annotated[Principal, require_role(*STAFF_ADMIN_ROLES)]
