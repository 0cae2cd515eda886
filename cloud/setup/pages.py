"""Portal pages of property set-up (managers of the property, chain administrators).

Every page goes the one way the API and the command line go: the current document is exported,
the page's form changes one section of it, then ``plan`` shows the diff and ``apply`` writes it
all or nothing. One saved item is applied at once and its diff shown; removals, ranges of rooms
and imported files show the diff first and are applied on confirmation, only if the property did
not change in between.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from cloud.auth.accounts import visible_sites
from cloud.auth.deps import check_property, require_role
from cloud.auth.roles import Principal, Role
from cloud.core.deps import DbSession, request_time
from cloud.core.nights import local_today
from cloud.setup import editing, service
from cloud.setup.calendar import month_start, shift, weeks
from cloud.setup.diff import Diff
from cloud.setup.document import PropertyDocument
from cloud.setup.errors import Problem, SetupInvalid
from cloud.setup.exporting import find_property
from cloud.setup.formats import as_data, dumps
from cloud.setup.forms import SECTION_FIELDS, read_item
from cloud.setup.parsing import from_data, parse
from cloud.setup.screens import gateway_states, new_floor_credentials, read_form, render, section_context

router = APIRouter(prefix="/setup", include_in_schema=False)
SetupUser = Annotated[Principal, require_role(Role.MANAGER, Role.CHAIN_ADMIN)]
ChainAdmin = Annotated[Principal, require_role(Role.CHAIN_ADMIN)]
MAX_UPLOAD = 1024 * 1024
EDITABLE = tuple(SECTION_FIELDS)


@router.get("", response_class=HTMLResponse)
def index(request: Request, db: DbSession, user: SetupUser) -> HTMLResponse:
    """The properties this user sets up; a chain administrator may start a new one."""
    sites = sorted(visible_sites(db, user))
    known = {site: find_property(db, site) for site in sites}
    return render(request, "index.html", {"sites": sites, "known": known, "problems": [], "values": {}})


@router.post("", response_model=None)
async def create(request: Request, db: DbSession, user: ChainAdmin) -> Response:
    """A new property of the administrator's chain: the least a document needs, then the pages."""
    form = await read_form(request)
    data = {
        "property": {
            "site": form.text("site"),
            "number": form.integer("number"),
            "name": form.text("name"),
            "chain": user.chain,
            "time_zone": form.text("time_zone"),
            "currency": form.text("currency").upper(),
        }
    }
    try:
        if form.problems:
            raise SetupInvalid(form.problems)
        doc = from_data(data)
        if find_property(db, doc.property.site) is not None:
            raise SetupInvalid([Problem("property.site", f"{doc.property.site!r} exists already")])
        service.apply(db, doc, user, now=request_time(request))
    except SetupInvalid as exc:
        db.rollback()
        sites = sorted(visible_sites(db, user))
        known = {site: find_property(db, site) for site in sites}
        context = {"sites": sites, "known": known, "problems": exc.problems, "values": form.values}
        return render(request, "index.html", context, 422)
    return RedirectResponse(f"/setup/{doc.property.site}/property", status_code=303)


@router.get("/{site}", response_model=None)
def property_home(site: str, db: DbSession, user: SetupUser) -> Response:
    check_property(db, user, site[:63])
    return RedirectResponse(f"/setup/{site[:63]}/property", status_code=303)


@router.get("/{site}/document", response_class=HTMLResponse)
def document_page(request: Request, site: str, db: DbSession, user: SetupUser) -> HTMLResponse:
    return _document_page(request, db, user, site)


@router.get("/{site}/document.{fmt}", response_model=None)
def download(request: Request, site: str, fmt: str, db: DbSession, user: SetupUser) -> Response:
    """The whole document as a file (YAML or JSON)."""
    if fmt not in ("yaml", "json"):
        return Response(status_code=404)
    doc = _current(request, db, user, site)
    media = "application/yaml" if fmt == "yaml" else "application/json"
    disposition = f'attachment; filename="{doc.property.site}.{fmt}"'
    text = dumps(doc, "yaml" if fmt == "yaml" else "json")
    return Response(text, media_type=media, headers={"Content-Disposition": disposition})


@router.post("/{site}/document", response_model=None)
async def upload(request: Request, site: str, db: DbSession, user: SetupUser) -> Response:
    """An uploaded document: its diff against the property, to confirm."""
    doc = _current(request, db, user, site)
    data = await request.form()
    upload_ = data.get("file")
    raw = await upload_.read(MAX_UPLOAD + 1) if isinstance(upload_, UploadFile) else b""
    try:
        if not raw:
            raise SetupInvalid([Problem("file", "choose a YAML or JSON file")])
        if len(raw) > MAX_UPLOAD:
            raise SetupInvalid([Problem("file", f"the file is larger than {MAX_UPLOAD} bytes")])
        name = str(getattr(upload_, "filename", "") or "")
        proposed = parse(raw, fmt=_format(name))
        return _review(request, db, user, doc, proposed, back="document")
    except SetupInvalid as exc:
        return _document_page(request, db, user, site, problems=exc.problems, status=422)


@router.post("/{site}/apply", response_model=None)
async def confirm(request: Request, site: str, db: DbSession, user: SetupUser) -> Response:
    """Apply a reviewed diff: the same document, only if the property is still what it was."""
    doc = _current(request, db, user, site)
    form = await read_form(request, limit=2 * MAX_UPLOAD)
    back = form.text("back")
    back = back if back in (*EDITABLE, "document") else "property"
    try:
        proposed = parse(form.text("document").encode(), fmt="json")
        if form.text("base") != editing.fingerprint(doc):
            raise SetupInvalid([Problem("", "the property changed since the diff was shown: review again")])
        diff = _apply(request, db, user, doc, proposed)
    except SetupInvalid as exc:
        db.rollback()
        if back == "document":
            return _document_page(request, db, user, site, problems=exc.problems, status=422)
        return _section_page(request, db, user, site, back, problems=exc.problems, status=422)
    if back == "document":
        return _document_page(request, db, user, site, applied=diff)
    return _section_page(request, db, user, site, back, applied=diff)


@router.get("/{site}/calendar", response_class=HTMLResponse)
def calendar(
    request: Request, site: str, db: DbSession, user: SetupUser, plan: str = "", month: str = ""
) -> HTMLResponse:
    """A month of a rate plan: each night's price per room type and the restrictions on it."""
    doc = _current(request, db, user, site)
    codes = [p.code for p in doc.rate_plans]
    plan = plan if plan in codes else (codes[0] if codes else "")
    first = month_start(month, local_today(request_time(request), doc.property.time_zone))
    grid = weeks(doc, plan=plan, month=first) if plan else []
    context = {
        "doc": doc, "site": site, "section": "calendar", "plan": plan, "month": first, "weeks": grid,
        "previous": shift(first, -1), "next": shift(first, 1), "problems": [],
    }
    return render(request, "calendar.html", context)


@router.post("/{site}/floors/new", response_model=None)
async def new_floor(request: Request, site: str, db: DbSession, user: SetupUser) -> Response:
    """A floor, applied at once, with its gateway's broker credentials shown this once."""
    doc = _current(request, db, user, site)
    form = await read_form(request)
    item, problems = read_item("floors", form.first, form.lists, currency=doc.property.currency)
    try:
        if problems:
            raise SetupInvalid(problems)
        if item.get("id") in editing.keys_of(doc, "floors"):
            raise SetupInvalid([Problem("floors.id", f"floor {item['id']!r} exists already")])
        diff = _apply(request, db, user, doc, from_data(editing.save_item(doc, "floors", "", item)))
    except SetupInvalid as exc:
        db.rollback()
        return _section_page(request, db, user, site, "floors", problems=exc.problems, values=form.first,
                             status=422)
    credentials = new_floor_credentials(site, str(item["id"]))
    return _section_page(request, db, user, site, "floors", applied=diff, credentials=credentials)


@router.post("/{site}/rooms/range", response_model=None)
async def room_range(request: Request, site: str, db: DbSession, user: SetupUser) -> Response:
    """Rooms ``first``..``last`` on one floor, of one type, alike: the diff, to confirm."""
    doc = _current(request, db, user, site)
    form = await read_form(request)
    first, last = form.integer("first"), form.integer("last")
    room: dict[str, Any] = {"floor": form.text("floor"), "type": form.text("type")}
    if form.text("view"):
        room["view"] = form.text("view")
    room.update({flag: form.flag(flag) for flag in ("accessible", "near_lift")})
    try:
        if form.problems:
            raise SetupInvalid(form.problems)
        prefix = form.text("prefix")
        data, problems = editing.add_room_range(doc, first=first, last=last, room=room, prefix=prefix)
        if problems:
            raise SetupInvalid(problems)
        return _review(request, db, user, doc, from_data(data), back="rooms")
    except SetupInvalid as exc:
        return _section_page(request, db, user, site, "rooms", problems=exc.problems, range_values=form.first,
                             status=422)


@router.get("/{site}/{section}", response_class=HTMLResponse)
def section_page(
    request: Request, site: str, section: str, db: DbSession, user: SetupUser, edit: str = ""
) -> Response:
    if section not in EDITABLE:
        return Response(status_code=404)
    return _section_page(request, db, user, site, section, edit=edit[:200])


@router.post("/{site}/{section}", response_model=None)
async def save(request: Request, site: str, section: str, db: DbSession, user: SetupUser) -> Response:
    """``op=save``: one item created or changed, applied at once; ``op=remove``: the diff, to confirm."""
    if section not in EDITABLE:
        return Response(status_code=404)
    doc = _current(request, db, user, site)
    form = await read_form(request)
    key = form.text("key")
    try:
        if form.text("op") == "remove":
            data, problems = editing.remove_item(doc, section, key)
            if problems:
                raise SetupInvalid(problems)
            return _review(request, db, user, doc, from_data(data), back=section)
        item, problems = read_item(section, form.first, form.lists, currency=doc.property.currency)
        if problems:
            raise SetupInvalid(problems)
        diff = _apply(request, db, user, doc, from_data(editing.save_item(doc, section, key, item)))
    except SetupInvalid as exc:
        db.rollback()
        values = {**form.first, "f_weekdays": form.lists.get("f_weekdays", [])}  # every day ticked
        return _section_page(request, db, user, site, section, problems=exc.problems, values=values,
                             edit=key, status=422)
    return _section_page(request, db, user, site, section, applied=diff)


def _format(filename: str) -> str | None:
    name = filename.lower()
    return "json" if name.endswith(".json") else "yaml" if name.endswith((".yaml", ".yml")) else None


def _current(request: Request, db: Session, user: Principal, site: str) -> PropertyDocument:
    check_property(db, user, site[:63])
    return service.export(db, site[:63], now=request_time(request))


def _apply(
    request: Request, db: Session, user: Principal, doc: PropertyDocument, proposed: PropertyDocument
) -> Diff:
    _same_property(doc, proposed)
    return service.apply(db, proposed, user, now=request_time(request))


def _same_property(doc: PropertyDocument, proposed: PropertyDocument) -> None:
    """A page changes its own property: not another site, nor the chain it belongs to."""
    problems = [
        Problem(f"property.{name}", f"is {new!r}: this page sets up {old!r}")
        for name, old, new in (
            ("site", doc.property.site, proposed.property.site),
            ("chain", doc.property.chain, proposed.property.chain),
        )
        if old != new
    ]
    if problems:
        raise SetupInvalid(problems)


def _review(
    request: Request,
    db: Session,
    user: Principal,
    doc: PropertyDocument,
    proposed: PropertyDocument,
    *,
    back: str,
) -> HTMLResponse:
    """The diff of ``proposed`` and a form to apply it (SetupInvalid when it cannot be)."""
    _same_property(doc, proposed)
    diff = service.plan(db, proposed, now=request_time(request))
    context = {
        "doc": doc, "site": doc.property.site, "section": back, "diff": diff, "back": back,
        "document": json.dumps(as_data(proposed), ensure_ascii=False), "base": editing.fingerprint(doc),
    }
    return render(request, "review.html", context)


def _document_page(
    request: Request,
    db: Session,
    user: Principal,
    site: str,
    *,
    problems: list[Problem] | None = None,
    applied: Diff | None = None,
    status: int = 200,
) -> HTMLResponse:
    doc = _current(request, db, user, site)
    context = {"doc": doc, "site": doc.property.site, "section": "document", "problems": problems or [],
               "applied": applied}
    return render(request, "document.html", context, status)


def _section_page(
    request: Request,
    db: Session,
    user: Principal,
    site: str,
    section: str,
    *,
    problems: list[Problem] | None = None,
    values: dict[str, Any] | None = None,
    range_values: dict[str, Any] | None = None,
    edit: str = "",
    applied: Diff | None = None,
    credentials: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    doc = _current(request, db, user, site)
    context = section_context(doc, section, edit=edit)
    if values is not None:  # what was sent, to correct
        context["values"] = values
    context.update(
        problems=problems or [], applied=applied, credentials=credentials, range_values=range_values or {},
        gateways=gateway_states(db, site) if section == "floors" else {},
    )
    return render(request, "section.html", context, status)

