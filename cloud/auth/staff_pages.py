"""Staff administration pages for managers (their property) and chain administrators (the chain)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cloud.auth import accounts
from cloud.auth.context import auth_context
from cloud.auth.deps import StaffAdmin
from cloud.auth.errors import Forbidden, InvalidAccount
from cloud.auth.roles import Role
from cloud.auth.sessions import sign_out_everywhere, unlock
from cloud.core.deps import DbSession
from cloud.core.errors import Conflict
from cloud.core.templating import templates
from cloud.i18n.jinja import gettext as _
from mqtt.envelope import utcnow

router = APIRouter(prefix="/staff", include_in_schema=False)


def _render(request: Request, db: DbSession, user: StaffAdmin, *, error: str | None = None,
            status: int = 200) -> HTMLResponse:
    context = {"staff": accounts.list_staff(db, actor=user), "roles": list(Role), "error": error,
               "sites": accounts.visible_sites(db, user), "active": "staff"}
    return templates.TemplateResponse(request, "auth/staff.html", context, status_code=status)


@router.get("", response_class=HTMLResponse)
def staff_list(request: Request, db: DbSession, user: StaffAdmin) -> HTMLResponse:
    return _render(request, db, user)


@router.post("", response_model=None)
def staff_create(request: Request, db: DbSession, user: StaffAdmin,
                 username: Annotated[str, Form(max_length=64)],
                 display_name: Annotated[str, Form(max_length=200)],
                 password: Annotated[str, Form(max_length=1024)], role: Annotated[Role, Form()],
                 site: Annotated[str, Form(max_length=63)] = "") -> Response:
    try:
        accounts.create_staff(db, actor=user, passwords=auth_context(request).passwords, username=username,
                              display_name=display_name, password=password, role=role,
                              site=site or None, chain=user.chain)
    except (InvalidAccount, Conflict, Forbidden) as exc:
        db.rollback()
        return _render(request, db, user, error=_("Could not create the account: ") + exc.detail, status=422)
    return RedirectResponse("/staff", status_code=303)


@router.post("/{user_id}/active")
def staff_active(db: DbSession, user: StaffAdmin, user_id: str,
                 active: Annotated[bool, Form()]) -> RedirectResponse:
    accounts.set_active(db, actor=user, user_id=user_id[:26], active=active)
    if not active:
        sign_out_everywhere(db, user_id=user_id[:26], now=utcnow(), actor=user)
    return RedirectResponse("/staff", status_code=303)


@router.post("/{user_id}/signout")
def staff_signout(db: DbSession, user: StaffAdmin, user_id: str) -> RedirectResponse:
    target = accounts.get_staff(db, user_id[:26], actor=user)
    sign_out_everywhere(db, user_id=target.id, now=utcnow(), actor=user)
    return RedirectResponse("/staff", status_code=303)


@router.post("/{user_id}/password", response_model=None)
def staff_password(request: Request, db: DbSession, user: StaffAdmin, user_id: str,
                   password: Annotated[str, Form(max_length=1024)]) -> Response:
    try:
        accounts.reset_password(db, actor=user, passwords=auth_context(request).passwords,
                                user_id=user_id[:26], password=password)
    except InvalidAccount as exc:
        db.rollback()
        return _render(request, db, user, error=_("Could not set the password: ") + exc.detail, status=422)
    return RedirectResponse("/staff", status_code=303)


@router.post("/{user_id}/unlock")
def staff_unlock(db: DbSession, user: StaffAdmin, user_id: str) -> RedirectResponse:
    """Forget the account's failed sign-ins: its next attempt need not wait."""
    unlock(db, user=accounts.get_staff(db, user_id[:26], actor=user), actor=user)
    return RedirectResponse("/staff", status_code=303)
