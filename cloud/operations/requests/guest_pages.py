"""The in-house guest asks from the phone pages: the stay link's own page of services."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from cloud.auth.audit import audit
from cloud.catalog.models import Room
from cloud.core.deps import services
from cloud.core.errors import DomainError
from cloud.core.templating import templates
from cloud.guestweb.links import BadLink
from cloud.i18n.catalog import LANGUAGES
from cloud.i18n.jinja import current_lang
from cloud.i18n.labels import N_
from cloud.operations.errors import InvalidOperation
from cloud.operations.requests import service
from cloud.operations.requests.models import ServiceRequest, ServiceType
from cloud.reservations.models import RoomAllocation

router = APIRouter(prefix="/guest", include_in_schema=False)
STATES = {
    "new": N_("New"),
    "accepted": N_("Accepted"),
    "in_progress": N_("In progress"),
    "done": N_("Done"),
    "cancelled": N_("Cancelled"),
}


def language(request: Request) -> str:
    asked = request.query_params.get("lang")
    lang = asked if asked in LANGUAGES else getattr(request.state, "lang", "en")
    current_lang.set(lang)
    return lang


def stay_of(request: Request, ref: str) -> str:
    ctx = services(request).guestweb
    assert ctx is not None
    try:
        return ctx.signer.verify(ref, purpose="stay", now=services(request).clock()).reservation_id
    except BadLink as exc:
        raise InvalidOperation(str(exc)) from None


def _render(request: Request, site: str, values: dict[str, Any], status: int = 200) -> Response:
    return templates.TemplateResponse(
        request, "guestweb/requests.html", {"site": site, "states": STATES, **values}, status_code=status
    )


@router.get("/{site}/stay/{ref}/requests")
async def page(request: Request, site: str, ref: str) -> Response:
    lang = language(request)
    app = services(request)

    def read() -> dict[str, Any]:
        reservation_id = stay_of(request, ref)
        with app.sessions() as session:
            types = service.types_of(session, site=site)
            rows = [
                (row[0], row[1])
                for row in session.execute(
                    select(ServiceRequest, ServiceType)
                    .join(ServiceType, ServiceType.id == ServiceRequest.type_id)
                    .where(ServiceRequest.reservation_id == reservation_id)
                    .order_by(ServiceRequest.created_at)
                )
            ]
            session.expunge_all()
            return {"types": types, "mine": rows, "tag": lang[:2]}

    try:
        values = await run_in_threadpool(read)
    except DomainError as exc:
        return _render(
            request,
            site,
            {"lang": lang, "ref": ref, "error": exc.detail, "types": [], "mine": [], "tag": lang[:2]},
            status=exc.status,
        )
    return _render(request, site, {"lang": lang, "ref": ref, "error": None, **values})


@router.post("/{site}/stay/{ref}/requests", response_model=None)
async def ask(request: Request, site: str, ref: str) -> Response:
    lang = language(request)
    app = services(request)
    form = await request.form()

    def write() -> None:
        reservation_id = stay_of(request, ref)
        with app.sessions.begin() as session:
            room = (
                session.scalar(
                    select(Room.slug)
                    .join(RoomAllocation, RoomAllocation.room_id == Room.id)
                    .where(RoomAllocation.reservation_id == reservation_id)
                    .order_by(RoomAllocation.start_night.desc())
                    .limit(1)
                )
                or ""
            )
            row = service.ask(
                session,
                site=site,
                actor="guest",
                now=app.clock(),
                body=service.Ask(
                    type_code=str(form.get("type", ""))[:32],
                    source="guest",
                    reservation_id=reservation_id,
                    room=room,
                    note=str(form.get("note", ""))[:400],
                ),
            )
            audit(
                session,
                "guest",
                "service_request.add",
                "service_request",
                row.id,
                {"source": "guest"},
                site=site,
            )

    try:
        await run_in_threadpool(write)
    except DomainError as exc:
        return _render(
            request,
            site,
            {"lang": lang, "ref": ref, "error": exc.detail, "types": [], "mine": [], "tag": lang[:2]},
            status=exc.status,
        )
    return RedirectResponse(f"/guest/{site}/stay/{ref}/requests?lang={lang}", status_code=303)
