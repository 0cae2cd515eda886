"""The facilities page (the spa attendant's and the desk's): the day's bookings per facility and a
form to book a slot; a refused slot shows the page again with the reason, nothing booked."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.deps import require_role
from cloud.auth.roles import Principal, Role
from cloud.auth.scope import SiteScopeDep
from cloud.core.deps import ClockDep, DbSession, ServicesDep
from cloud.core.errors import DomainError
from cloud.core.templating import templates
from cloud.i18n.jinja import gettext as _
from cloud.i18n.labels import N_
from cloud.operations.facilities import service
from cloud.operations.facilities.api import signer_of
from cloud.operations.schemas import CODE, SLUG

router = APIRouter(prefix="/operations/facilities", include_in_schema=False)
Desk = Annotated[Principal, require_role(Role.FRONT_DESK, Role.SPA, Role.MANAGER, Role.CHAIN_ADMIN)]
FIELDS = ("facility", "reservation_id", "day", "start", "end", "guests")
REASONS = {
    "full": N_("That slot is already full."),
    "hours": N_("That slot is outside the opening hours."),
    "length": N_("A booking lasts a whole number of slots."),
    "past": N_("That slot is over."),
}


def refusal(exc: DomainError) -> str:
    """The reason in the staff member's language when we know it, else the detail."""
    reason = exc.extra.get("reason")
    return _(REASONS[reason]) if reason in REASONS else exc.detail


def _page(
    request: Request,
    db: Session,
    *,
    site: str,
    day: date,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    places = service.facilities_of(db, site=site)
    booked = service.bookings_of(db, site=site, day=day)
    return templates.TemplateResponse(
        request,
        "operations/facilities.html",
        {
            "active": "facilities",
            "site": site,
            "on_day": day,
            "places": places,
            "error": error,
            "form": form or {},
            "booked": {p.code: [b for b, f in booked if f.id == p.id] for p in places},
        },
        status_code=status,
    )


@router.get("", response_class=HTMLResponse)
def day_page(
    request: Request,
    db: DbSession,
    user: Desk,
    scope: SiteScopeDep,
    clock: ClockDep,
    day: Annotated[date | None, Query()] = None,
) -> HTMLResponse:
    sites = scope.narrow()
    if not sites:
        return HTMLResponse("", status_code=403)
    return _page(request, db, site=sites[0], day=day or clock().date())


@router.post("/{site}", response_model=None)
async def book(
    request: Request,
    db: DbSession,
    user: Desk,
    scope: SiteScopeDep,
    services: ServicesDep,
    clock: ClockDep,
    site: Annotated[str, Path(pattern=SLUG)],
) -> Response:
    scope.check(site)
    raw = await request.form()
    form = {k: str(raw.get(k, ""))[:40] for k in FIELDS}
    try:
        day, start, end = (
            date.fromisoformat(form["day"]),
            time.fromisoformat(form["start"]),
            time.fromisoformat(form["end"]),
        )
        guests = int(form["guests"] or "1")
    except ValueError:
        return _page(
            request, db, site=site, day=clock().date(), error="day, start and end", form=form, status=422
        )
    if not re.fullmatch(CODE, form["facility"]):
        return _page(request, db, site=site, day=day, error="facility", form=form, status=422)
    try:
        row = service.book(
            db,
            site=site,
            code=form["facility"],
            signer=signer_of(services),
            billing=services.settings.billing,
            actor=user.username,
            now=clock(),
            body=service.SlotIn(
                reservation_id=form["reservation_id"].strip(),
                day=day,
                start=start,
                end=end,
                guests=guests,
                source="desk",
            ),
        )
    except DomainError as exc:
        db.rollback()
        return _page(request, db, site=site, day=day, error=refusal(exc), form=form, status=exc.status)
    audit(
        db,
        user,
        "facility_booking.add",
        "facility_booking",
        row.id,
        {"facility": form["facility"]},
        site=site,
    )
    return RedirectResponse(f"/operations/facilities?day={day.isoformat()}", status_code=303)
