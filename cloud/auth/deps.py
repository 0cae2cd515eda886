"""FastAPI dependencies every router uses: the database session, the signed-in user, roles.

    from cloud.auth.deps import CurrentUser, require_role, PropertyUser
    from cloud.core.deps import DbSession
    from cloud.auth.roles import Role

    @router.get("/things")
    def things(user: Annotated[Principal, require_role(Role.MANAGER)], db: DbSession): ...

    @router.get("/sites/{site}/rooms")      # the path must have a ``site`` parameter
    def rooms(site: str, user: PropertyUser): ...
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from cloud.auth.accounts import chain_of
from cloud.auth.context import SESSION_COOKIE, auth_context
from cloud.auth.errors import Forbidden, NotAuthenticated
from cloud.auth.roles import GUEST_DATA_ROLES, STAFF_ADMIN_ROLES, Principal, Role
from cloud.auth.sessions import resolve_api_token, resolve_session
from cloud.core.deps import DbSession
from mqtt.envelope import utcnow


def current_principal(request: Request, db: DbSession) -> Principal:
    """The staff member behind a bearer token or a portal session cookie."""
    ctx = auth_context(request)
    header = request.headers.get("authorization")
    now = utcnow()
    if header is not None:
        scheme, _, token = header.partition(" ")
        principal = resolve_api_token(db, token.strip(), now=now) if scheme.lower() == "bearer" else None
        if principal is None:
            raise NotAuthenticated("the bearer token is unknown, expired or revoked")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        principal = resolve_session(db, cookie, now=now, settings=ctx.settings) if cookie else None
        if principal is None:
            raise NotAuthenticated("sign in first" if not cookie else "your session has ended; sign in again")
    request.state.principal = principal
    db.commit()  # the session-use stamp is kept, and the handler starts with no open transaction
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: Role) -> Any:
    """``Annotated[Principal, require_role(Role.MANAGER, ...)]``, or in ``dependencies=[...]``."""
    allowed = frozenset(roles)

    async def check(principal: CurrentUser) -> Principal:  # async: no I/O, no thread-pool hop
        if principal.role not in allowed:
            raise Forbidden(f"this needs one of the roles: {', '.join(sorted(r.value for r in allowed))}")
        return principal

    check.roles = allowed  # type: ignore[attr-defined]  # read by the route-wide security test
    return Depends(check)


def check_property(db: Session, principal: Principal, site: str) -> None:
    """Refuse a principal who does not work at ``site`` (or in its chain, for a chain admin)."""
    if not principal.sees_site(site, chain_of_site=chain_of(db, site)):
        raise Forbidden(f"you have no access to property {site!r}")


def require_property_access(site: str, principal: CurrentUser, db: DbSession) -> Principal:
    """For routes with a ``{site}`` path (or query) parameter."""
    check_property(db, principal, site)
    db.commit()  # leave no transaction open: handlers may ``with session.begin():``
    return principal


PropertyUser = Annotated[Principal, Depends(require_property_access)]
GuestDataUser = Annotated[Principal, require_role(*GUEST_DATA_ROLES)]
StaffAdmin = Annotated[Principal, require_role(*STAFF_ADMIN_ROLES)]
