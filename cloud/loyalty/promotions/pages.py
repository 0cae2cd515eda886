"""Portal pages of chain promotions: headquarters defines and pushes them, each property sees
those pushed to it and declines or takes them back. Refused forms show the page again with why."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from cloud.auth.accounts import visible_sites
from cloud.auth.deps import CurrentUser, check_property
from cloud.auth.roles import Principal, Role
from cloud.core.deps import DbSession
from cloud.core.errors import DomainError
from cloud.core.templating import templates
from cloud.i18n.labels import N_
from cloud.loyalty.promotions import api
from cloud.loyalty.promotions.schemas import SLUG, PromotionIn, SiteStateIn

router = APIRouter(prefix="/loyalty/promotions", include_in_schema=False)
Id = Annotated[str, Path(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]
Site = Annotated[str, Path(pattern=SLUG)]
KINDS = {
    "package": N_("Package"),
    "member_rate": N_("Member rate"),
    "seasonal": N_("Seasonal offer"),
    "birthday": N_("Birthday offer"),
}
RULES = {  # a promotion's price, with its value
    "percent_off": N_("%(value)s%% off the base rate"),
    "amount_off": N_("%(value)s off the base rate per night, in minor units"),
    "fixed": N_("%(value)s per night, in minor units"),
}
RULE_CHOICES = {
    "percent_off": N_("Percentage off the base rate"),
    "amount_off": N_("Amount off the base rate, per night"),
    "fixed": N_("Fixed price per night"),
}
STATES = {"active": N_("On sale"), "opted_out": N_("Declined"), "withdrawn": N_("Withdrawn")}
WEEKDAY_NAMES = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def _page(
    request: Request,
    db: Session,
    user: Principal,
    *,
    error: str = "",
    status: int = 200,
    form: dict[str, Any] | None = None,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "loyalty/promotions.html",
        {
            "promotions": api.list_promotions(db, user),
            "hq": user.role is Role.CHAIN_ADMIN,
            "manager": user.role in (Role.MANAGER, Role.CHAIN_ADMIN),
            "sites": visible_sites(db, user),
            "kinds": KINDS,
            "rules": RULES,
            "rule_choices": RULE_CHOICES,
            "states": STATES,
            "weekday_names": WEEKDAY_NAMES,
            "error": error,
            "form": form or {},
            "active": "loyalty",
            "lang_code": _lang(request),
        },
        status_code=status,
    )


def _lang(request: Request) -> str:
    lang = str(getattr(request.state, "lang", "en"))
    return "zh" if lang.startswith("zh") else lang


@router.get("", response_class=HTMLResponse)
def promotions_page(request: Request, db: DbSession, user: CurrentUser) -> HTMLResponse:
    return _page(request, db, user)


def _form_to_body(form: dict[str, Any], multi: dict[str, list[str]]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": form.get("code", ""),
        "kind": form.get("kind", ""),
        "names": {lang: form.get(f"name_{lang}", "") for lang in ("en", "es", "zh")},
        "base_plan": form.get("base_plan", ""),
        "price_rule": form.get("price_rule", ""),
        "price_value": form.get("price_value") or 0,
        "stay_from": form.get("stay_from") or None,
        "stay_until": form.get("stay_until") or None,
        "min_nights": form.get("min_nights") or 1,
        "code_only": form.get("code_only") == "on",
        "opt_out": form.get("opt_out") == "on",
        "multiplier_pct": form.get("multiplier_pct") or 100,
        "bonus_points": form.get("bonus_points") or 0,
        "room_types": [t for t in str(form.get("room_types", "")).replace(",", " ").split() if t],
        "extras": [{"item": i} for i in str(form.get("extras", "")).replace(",", " ").split() if i],
        "weekdays": [int(d) for d in multi.get("weekdays", []) if d.isdigit()] or None,
        "sites": multi.get("sites", []),
    }
    return body


@router.post("", response_model=None)
async def create(request: Request, db: DbSession, user: CurrentUser) -> Response:
    raw = await request.form()
    form = {k: str(v)[:200] for k, v in raw.items()}
    multi = {k: [str(v)[:63] for v in raw.getlist(k)][:200] for k in ("weekdays", "sites")}
    if user.role is not Role.CHAIN_ADMIN:
        return _page(request, db, user, error="only headquarters defines promotions", status=403)
    try:
        body = PromotionIn.model_validate(_form_to_body(form, multi))
        api.create(request, db, user, body)
    except ValidationError as exc:
        fields = sorted({str(e["loc"][0]) for e in exc.errors() if e.get("loc")} or {"form"})
        return _page(request, db, user, error=", ".join(fields), status=422, form=form)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, user, error=exc.detail, status=exc.status, form=form)
    return RedirectResponse("/loyalty/promotions", status_code=303)


@router.post("/{promotion_id}/sites/{site}", response_model=None)
async def site_state(
    request: Request, db: DbSession, user: CurrentUser, promotion_id: Id, site: Site
) -> Response:
    raw = await request.form()
    try:
        if user.role not in (Role.MANAGER, Role.CHAIN_ADMIN):
            return _page(request, db, user, error="managers decide for their property", status=403)
        check_property(db, user, site)
        state = SiteStateIn.model_validate({"state": str(raw.get("state", ""))})
        api.set_site_state(request, db, user, promotion_id, site, state)
    except ValidationError:
        return _page(request, db, user, error="state", status=422)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, user, error=exc.detail, status=exc.status)
    return RedirectResponse("/loyalty/promotions", status_code=303)


@router.post("/{promotion_id}/sites/{site}/reprice", response_model=None)
async def reprice(
    request: Request, db: DbSession, user: CurrentUser, promotion_id: Id, site: Site
) -> Response:
    try:
        if user.role not in (Role.MANAGER, Role.CHAIN_ADMIN):
            return _page(request, db, user, error="managers decide for their property", status=403)
        api.reprice(request, db, user, promotion_id, site)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, user, error=exc.detail, status=exc.status)
    return RedirectResponse("/loyalty/promotions", status_code=303)


@router.post("/{promotion_id}/withdraw", response_model=None)
async def withdraw(request: Request, db: DbSession, user: CurrentUser, promotion_id: Id) -> Response:
    if user.role is not Role.CHAIN_ADMIN:
        return _page(request, db, user, error="only headquarters withdraws a promotion", status=403)
    try:
        api.withdraw(request, db, user, promotion_id)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, user, error=exc.detail, status=exc.status)
    return RedirectResponse("/loyalty/promotions", status_code=303)
