"""REST API of staff access: bearer tokens and who am I."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from cloud.auth.accounts import get_staff
from cloud.auth.context import auth_context
from cloud.auth.deps import CurrentUser, StaffAdmin
from cloud.auth.errors import BadCredentials, SignInThrottled
from cloud.auth.sessions import Refused, issue_api_token, revoke_api_token, sign_in, sign_out, unlock
from cloud.core.deps import DbSession
from cloud.core.errors import NotFound
from cloud.core.origin import client_address
from cloud.core.responses import FastJSONResponse
from mqtt.envelope import utcnow

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    name: str = Field(default="api", min_length=1, max_length=100, description="what the token is for")


class TokenIssued(BaseModel):
    id: str
    token: str = Field(description="send as Authorization: Bearer <token>; shown only once")
    expires_at: datetime


class Me(BaseModel):
    user_id: str
    username: str
    display_name: str
    role: str
    chain: str
    site: str | None


@router.post("/tokens", response_model=TokenIssued, status_code=201)
def create_token(request: Request, body: TokenRequest, db: DbSession) -> TokenIssued:
    """Exchange a staff member's password for a bearer token (failures slow further attempts:
    429 with Retry-After)."""
    ctx = auth_context(request)
    now = utcnow()
    result = sign_in(db, username=body.username, password=body.password, now=now, settings=ctx.settings,
                     passwords=ctx.passwords, user_agent="api", address=client_address(request))
    if isinstance(result, Refused):
        db.commit()
        if result.reason == "throttled":
            raise SignInThrottled(f"too many failed sign-ins; retry in {result.retry_after} s",
                                  retry_after=result.retry_after)
        raise BadCredentials("wrong username or password")
    sign_out(db, result.token, now=now)  # only the token is wanted, not a portal session
    token, row = issue_api_token(db, principal=result.principal, name=body.name, now=now,
                                 settings=ctx.settings)
    return TokenIssued(id=row.id, token=token, expires_at=row.expires_at)


@router.delete("/tokens/{token_id}", status_code=204)
def delete_token(token_id: Annotated[str, Path(max_length=26)], user: CurrentUser, db: DbSession) -> None:
    if not revoke_api_token(db, principal=user, token_id=token_id, now=utcnow()):
        raise NotFound("no such live token of yours")


@router.get("/me", response_model=Me)
async def me(user: CurrentUser) -> FastJSONResponse:  # no I/O of its own: no thread-pool hop
    """``Me`` as plain data for the JSON encoder (the same bytes, without the model's round trip)."""
    return FastJSONResponse({"user_id": user.user_id, "username": user.username,
                             "display_name": user.display_name, "role": user.role.value,
                             "chain": user.chain, "site": user.site})


@router.post("/staff/{user_id}/unlock", status_code=204)
def unlock_staff(user_id: Annotated[str, Path(max_length=26)], user: StaffAdmin, db: DbSession) -> None:
    """A manager forgets a staff member's failed sign-ins: their next attempt need not wait."""
    unlock(db, user=get_staff(db, user_id, actor=user), actor=user)
