"""Portal pages of the guest registry: search, registration, profile, export, erasure, merge."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from cloud.auth.accounts import visible_sites
from cloud.auth.audit import history
from cloud.auth.deps import GuestDataUser, check_property
from cloud.core.deps import DbSession
from cloud.core.templating import templates
from cloud.guests import lifecycle, registry
from cloud.guests.api import visible_guest
from cloud.guests.context import guest_context
from cloud.guests.schemas import DIETS, DOCUMENT_TYPES, PILLOWS, GuestInput

router = APIRouter(prefix="/guests", include_in_schema=False)
FIELDS = ("name", "email", "phone", "nationality", "birth_date", "address", "notes", "doc_type",
          "doc_number", "doc_country", "pref_room", "pref_pillow", "pref_diet", "pref_floor", "language")
CHOICES = {"documents": DOCUMENT_TYPES, "pillows": PILLOWS, "diets": DIETS, "floors": ("", "low", "high")}


def _form_to_input(form: dict[str, str]) -> GuestInput:
    document = None
    if form.get("doc_number"):
        document = {"type": form.get("doc_type"), "number": form["doc_number"],
                    "country": form.get("doc_country")}
    return GuestInput.model_validate({
        "name": form.get("name", ""), "email": form.get("email") or None, "phone": form.get("phone") or None,
        "nationality": form.get("nationality") or None, "birth_date": form.get("birth_date") or None,
        "address": form.get("address") or None, "notes": form.get("notes", ""), "document": document,
        "preferences": {k: form.get(f"pref_{k}", "") for k in ("room", "pillow", "diet", "floor")},
        "language": form.get("language", ""),
    })


async def _form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {k: str(data.get(k, "")).strip() for k in FIELDS}


def _errors(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]


@router.get("", response_class=HTMLResponse)
def search_page(request: Request, db: DbSession, user: GuestDataUser, q: str = "") -> HTMLResponse:
    vault = guest_context(request).vault
    results = registry.search(db, vault, sites=visible_sites(db, user), text=q[:200]) if q else []
    return templates.TemplateResponse(request, "guests/search.html",
                                      {"q": q[:200], "results": results, "active": "guests"})


@router.get("/new", response_class=HTMLResponse)
def new_page(request: Request, db: DbSession, user: GuestDataUser) -> HTMLResponse:
    context = {"form": {}, "errors": [], "active": "guests", "sites": visible_sites(db, user), **CHOICES}
    return templates.TemplateResponse(request, "guests/new.html", context)


@router.post("/new", response_model=None)
async def register_page(request: Request, db: DbSession, user: GuestDataUser) -> Response:
    form = await _form(request)
    site = user.site or str((await request.form()).get("site", ""))[:63]
    try:
        data = _form_to_input(form)
    except ValidationError as exc:
        context = {"form": form, "errors": _errors(exc), "active": "guests", "sites": visible_sites(db, user),
                   **CHOICES}
        return templates.TemplateResponse(request, "guests/new.html", context, status_code=422)
    check_property(db, user, site)
    guest = registry.register(db, guest_context(request).vault, actor=user, site=site, data=data)
    return RedirectResponse(f"/guests/{guest.id}", status_code=303)


def _profile(request: Request, db: DbSession, user: GuestDataUser, guest_id: str,
             errors: list[str] | None = None) -> HTMLResponse:
    vault = guest_context(request).vault
    guest = visible_guest(db, user, guest_id[:26])
    stays = lifecycle.stays_of(db, guest)
    context: dict[str, Any] = {
        "guest": registry.view(vault, guest), "stays": stays, "spend": lifecycle.spend_of(stays),
        "duplicates": registry.duplicates_of(db, vault, guest), "errors": errors or [],
        "audit": history(db, entity="guest", entity_id=guest.id, limit=20), "active": "guests", **CHOICES,
    }
    return templates.TemplateResponse(request, "guests/profile.html", context,
                                      status_code=422 if errors else 200)


@router.get("/{guest_id}", response_class=HTMLResponse)
def profile_page(request: Request, db: DbSession, user: GuestDataUser, guest_id: str) -> HTMLResponse:
    return _profile(request, db, user, guest_id)


@router.post("/{guest_id}", response_model=None)
async def update_page(request: Request, db: DbSession, user: GuestDataUser, guest_id: str) -> Response:
    form = await _form(request)
    try:
        data = _form_to_input(form)
    except ValidationError as exc:
        return _profile(request, db, user, guest_id, _errors(exc))
    guest = visible_guest(db, user, guest_id[:26])
    registry.update(db, guest_context(request).vault, actor=user, guest=guest, data=data)
    return RedirectResponse(f"/guests/{guest.id}", status_code=303)


@router.get("/{guest_id}/export")
def export_page(request: Request, db: DbSession, user: GuestDataUser, guest_id: str) -> Response:
    guest = visible_guest(db, user, guest_id[:26])
    context = guest_context(request)
    body = lifecycle.export(db, context.vault, actor=user, guest=guest, copies=context.copies)
    return Response(json.dumps(body, ensure_ascii=False, indent=2), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="guest-{guest.id}.json"'})


@router.post("/{guest_id}/erase")
def erase_page(request: Request, db: DbSession, user: GuestDataUser, guest_id: str) -> RedirectResponse:
    guest = visible_guest(db, user, guest_id[:26])
    context = guest_context(request)
    lifecycle.erase(db, context.vault, actor=user, guest=guest, copies=context.copies)
    return RedirectResponse(f"/guests/{guest.id}", status_code=303)


@router.post("/{guest_id}/merge")
def merge_page(request: Request, db: DbSession, user: GuestDataUser, guest_id: str,
               other_id: Annotated[str, Form(max_length=26)]) -> RedirectResponse:
    ctx = guest_context(request)
    keep, other = visible_guest(db, user, guest_id[:26]), visible_guest(db, user, other_id)
    lifecycle.merge(db, ctx.vault, actor=user, keep=keep, other=other, settings=ctx.settings,
                      hooks=ctx.merges)
    return RedirectResponse(f"/guests/{keep.id}", status_code=303)
