"""The in-house guest books a facility slot from the phone pages (the stay link's own page)."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from cloud.auth.audit import audit
from cloud.core.deps import services
from cloud.core.errors import DomainError
from cloud.core.nights import local_today
from cloud.core.templating import templates
from cloud.operations.errors import InvalidOperation
from cloud.operations.facilities import service
from cloud.operations.facilities.api import signer_of
from cloud.operations.facilities.pages import refusal
from cloud.operations.requests.guest_pages import language, stay_of
from cloud.operations.requests.service import property_of

router = APIRouter(prefix="/guest", include_in_schema=False)


def _render(request: Request, site: str, values: dict[str, Any], status: int = 200) -> Response:
    return templates.TemplateResponse(
        request, "guestweb/facilities.html", {"site": site, **values}, status_code=status
    )


def _read(request: Request, site: str, ref: str) -> dict[str, Any]:
    """The facilities and the stay's bookings of today (raises on a bad link)."""
    app = services(request)
    reservation_id = stay_of(request, ref)
    with app.sessions() as session:
        places = service.facilities_of(session, site=site)
        today = local_today(app.clock(), property_of(session, site).timezone)
        mine = [
            (b, f)
            for b, f in service.bookings_of(session, site=site, day=today)
            if b.reservation_id == reservation_id
        ]
        session.expunge_all()
        return {"places": places, "mine": mine}


@router.get("/{site}/stay/{ref}/facilities")
async def page(request: Request, site: str, ref: str) -> Response:
    lang = language(request)
    try:
        values = await run_in_threadpool(_read, request, site, ref)
    except DomainError as exc:
        values, status = {"places": [], "mine": [], "error": exc.detail}, exc.status
        return _render(request, site, {"lang": lang, "ref": ref, "tag": lang[:2], **values}, status=status)
    return _render(request, site, {"lang": lang, "ref": ref, "tag": lang[:2], "error": None, **values})


def _slot(form: Any) -> tuple[str, date, time, time]:
    try:
        return (
            str(form.get("facility", ""))[:32],
            date.fromisoformat(str(form.get("day", ""))),
            time.fromisoformat(str(form.get("start", ""))),
            time.fromisoformat(str(form.get("end", ""))),
        )
    except ValueError:
        raise InvalidOperation("choose a day, a start and an end") from None


@router.post("/{site}/stay/{ref}/facilities", response_model=None)
async def book(request: Request, site: str, ref: str) -> Response:
    lang = language(request)
    app = services(request)
    form = await request.form()

    def write() -> None:
        reservation_id = stay_of(request, ref)
        code, day, start, end = _slot(form)
        with app.sessions.begin() as session:
            row = service.book(
                session,
                site=site,
                code=code,
                signer=signer_of(app),
                billing=app.settings.billing,
                actor="guest",
                now=app.clock(),
                body=service.SlotIn(
                    reservation_id=reservation_id, day=day, start=start, end=end, guests=1, source="guest"
                ),
            )
            audit(
                session,
                "guest",
                "facility_booking.add",
                "facility_booking",
                row.id,
                {"facility": code},
                site=site,
            )

    try:
        await run_in_threadpool(write)
    except DomainError as exc:
        try:
            values = await run_in_threadpool(_read, request, site, ref)
        except DomainError:
            values = {"places": [], "mine": []}
        return _render(
            request,
            site,
            {"lang": lang, "ref": ref, "tag": lang[:2], **values, "error": refusal(exc)},
            status=exc.status,
        )
    return RedirectResponse(f"/guest/{site}/stay/{ref}/facilities?lang={lang}", status_code=303)
