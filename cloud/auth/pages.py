"""Portal pages of staff access: sign-in, sign-out, account (sessions, API tokens), language."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from cloud.auth.accounts import change_own_password, set_own_email
from cloud.auth.context import SESSION_COOKIE, auth_context, cookie_secure
from cloud.auth.deps import CurrentUser
from cloud.auth.errors import InvalidAccount
from cloud.auth.models import ApiToken, StaffUser
from cloud.auth.roles import HOME_BY_ROLE
from cloud.auth.sessions import (
    Refused,
    issue_api_token,
    revoke_api_token,
    sign_in,
    sign_out,
    sign_out_everywhere,
    unlock,
)
from cloud.auth.unlock_link import check_token, email_problem, request_link
from cloud.core.deps import DbSession
from cloud.core.origin import client_address
from cloud.core.templating import templates
from cloud.i18n.catalog import LANGUAGES
from cloud.i18n.jinja import LANG_COOKIE
from cloud.i18n.jinja import gettext as _
from mqtt.envelope import utcnow

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only local paths: never an open redirect to another site."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status)


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, next: str = "/") -> HTMLResponse:
    return _page(request, "auth/signin.html", {"next": safe_next(next), "error": None})


@router.post("/signin", response_model=None)
def signin(request: Request, db: DbSession, username: Annotated[str, Form(max_length=200)],
           password: Annotated[str, Form(max_length=1024)],
           next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    ctx = auth_context(request)
    result = sign_in(db, username=username, password=password, now=utcnow(), settings=ctx.settings,
                     passwords=ctx.passwords, user_agent=request.headers.get("user-agent", ""),
                     address=client_address(request))
    if isinstance(result, Refused):
        db.commit()  # failures count even though the answer is a refusal
        throttled = result.reason == "throttled"
        error = (_("Too many failed sign-ins. Try again in %(seconds)s seconds.")
                 % {"seconds": result.retry_after} if throttled else _("Wrong username or password."))
        context = {"next": safe_next(next), "error": error, "username": username[:64], "throttled": throttled}
        page = _page(request, "auth/signin.html", context, 429 if throttled else 401)
        if throttled:
            page.headers["Retry-After"] = str(result.retry_after)
        return page
    target = safe_next(next)
    if target == "/":
        target = HOME_BY_ROLE.get(result.principal.role, "/")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, result.token, httponly=True, samesite="lax", path="/",
                        secure=cookie_secure(request, ctx.settings),
                        max_age=ctx.settings.session_lifetime_minutes * 60)
    return response


@router.get("/signin/unlock", response_class=HTMLResponse)
def unlock_form(request: Request) -> HTMLResponse:
    return _page(request, "auth/unlock.html", {"state": "ask"})


@router.post("/signin/unlock", response_class=HTMLResponse)
def unlock_ask(request: Request, db: DbSession,
               username: Annotated[str, Form(max_length=200)]) -> HTMLResponse:
    """The same answer whether or not the account exists: it tells an attacker nothing."""
    ctx = auth_context(request)
    if ctx.mailer is not None:
        request_link(db, username=username, base_url=str(request.base_url), secret=ctx.settings.secret_key,
                     now=utcnow(), mailer=ctx.mailer)
    return _page(request, "auth/unlock.html", {"state": "sent"})


@router.get("/signin/unlock/{token}", response_class=HTMLResponse)
def unlock_confirm(request: Request, db: DbSession,
                   token: Annotated[str, Path(max_length=200)]) -> HTMLResponse:
    """A page with a button: mail scanners that open links do not unlock anything."""
    valid = check_token(db, token, secret=auth_context(request).settings.secret_key, now=utcnow())
    return _page(request, "auth/unlock.html", {"state": "confirm" if valid else "invalid", "token": token},
                 200 if valid else 410)


@router.post("/signin/unlock/{token}", response_model=None)
def unlock_apply(request: Request, db: DbSession, token: Annotated[str, Path(max_length=200)]) -> Response:
    user = check_token(db, token, secret=auth_context(request).settings.secret_key, now=utcnow())
    if user is None:
        return _page(request, "auth/unlock.html", {"state": "invalid"}, 410)
    unlock(db, user=user, actor="system:unlock-link")
    return RedirectResponse("/signin", status_code=303)


@router.post("/signout")
def signout(request: Request, db: DbSession) -> RedirectResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        sign_out(db, token, now=utcnow())
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/lang")
def choose_language(lang: Annotated[str, Form(max_length=16)],
                    next: Annotated[str, Form(max_length=2000)] = "/") -> RedirectResponse:
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, httponly=True, samesite="lax", path="/", max_age=365 * 86400)
    return response


def _account(request: Request, db: DbSession, user: CurrentUser, *, new_token: str | None = None,
             error: str | None = None) -> HTMLResponse:
    live = select(ApiToken).where(ApiToken.user_id == user.user_id, ApiToken.revoked_at.is_(None))
    me = db.get(StaffUser, user.user_id)
    context = {"tokens": list(db.scalars(live.order_by(ApiToken.created_at))), "new_token": new_token,
               "error": error, "active": "account", "email": me.email if me else None}
    return _page(request, "auth/account.html", context, 422 if error else 200)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, user: CurrentUser, db: DbSession) -> HTMLResponse:
    return _account(request, db, user)


@router.post("/account/signout-everywhere")
def signout_everywhere(user: CurrentUser, db: DbSession) -> RedirectResponse:
    sign_out_everywhere(db, user_id=user.user_id, now=utcnow(), actor=user)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/account/password", response_model=None)
def change_password(request: Request, user: CurrentUser, db: DbSession,
                    current: Annotated[str, Form(max_length=1024)],
                    new: Annotated[str, Form(max_length=1024)]) -> Response:
    try:
        passwords = auth_context(request).passwords
        change_own_password(db, actor=user, passwords=passwords, current=current, new=new)
    except InvalidAccount as exc:
        db.rollback()
        return _account(request, db, user, error=_("Could not set the password: ") + exc.detail)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/account/email", response_model=None)
def set_email(request: Request, user: CurrentUser, db: DbSession,
              email: Annotated[str, Form(max_length=254)]) -> Response:
    """Where unlock links go (empty: none)."""
    address = email.strip()
    if address and email_problem(address):
        return _account(request, db, user, error=_("Could not set the e-mail address: ") + address[:254])
    set_own_email(db, actor=user, email=address or None)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(request: Request, user: CurrentUser, db: DbSession,
                 name: Annotated[str, Form(min_length=1, max_length=100)]) -> HTMLResponse:
    token, _row = issue_api_token(db, principal=user, name=name, now=utcnow(),
                                  settings=auth_context(request).settings)
    db.flush()
    return _account(request, db, user, new_token=token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: str, user: CurrentUser, db: DbSession) -> RedirectResponse:
    revoke_api_token(db, principal=user, token_id=token_id[:26], now=utcnow())
    return RedirectResponse("/account", status_code=303)
