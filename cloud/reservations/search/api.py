"""Reservation search: the API route and the front desk's page."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from cloud.auth.deps import GuestDataUser
from cloud.core.deps import DbSession, SessionsDep
from cloud.core.errors import DomainError
from cloud.reservations.api import PROBLEMS
from cloud.reservations.errors import InvalidRequest
from cloud.reservations.models import STATUSES
from cloud.reservations.pages import page, pick_property
from cloud.reservations.present import reservation_out
from cloud.reservations.schemas import ReservationOut
from cloud.reservations.search import service as search
from cloud.reservations.web import StaffDep, property_for

router = APIRouter(prefix="/api/v1", tags=["reservations"])
pages = APIRouter(prefix="/reservations", include_in_schema=False)

Text = Annotated[str, Query(max_length=search.MAX_QUERY)]


@router.get("/properties/{site}/reservations", response_model=list[ReservationOut], responses=PROBLEMS)
def find(
    site: str,
    user: StaffDep,
    sessions: SessionsDep,
    q: Text = "",
    status: Annotated[str, Query(max_length=16)] = "",
    start: date | None = None,
    end: date | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = search.PAGE,
) -> list[ReservationOut]:
    """Reservations matching a guest's name, email or phone, a confirmation number or a room."""
    with sessions() as session:
        prop = property_for(session, user, site)
        found = search.search(session, prop, search.Criteria(q, status, start, end), limit=limit)
        return [reservation_out(session, r) for r in found.reservations]


@pages.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    db: DbSession,
    user: GuestDataUser,
    site: str | None = None,
    q: Text = "",
    status: Annotated[str, Query(max_length=16)] = "",
    start: Annotated[str, Query(max_length=10)] = "",
    end: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    prop = pick_property(db, user, site)
    form = {"q": q, "status": status, "start": start, "end": end}
    context = {"prop": prop, "form": form, "statuses": STATUSES, "items": [], "more": False}
    if not any(form.values()):
        return page(request, "search.html", {**context, "errors": [], "searched": False})
    try:
        criteria = search.Criteria(q, status, _day(start), _day(end))
        found = search.search(db, prop, criteria)
    except DomainError as exc:
        return page(request, "search.html", {**context, "errors": [exc.detail], "searched": False}, 422)
    items = [reservation_out(db, r) for r in found.reservations]
    found_context = {"items": items, "more": found.more, "errors": [], "searched": True}
    return page(request, "search.html", {**context, **found_context})


def _day(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest("dates as YYYY-MM-DD, please") from None
