"""Front-desk portal pages: today's arrivals and departures, the tape chart, the booking form, a stay."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.auth.accounts import visible_sites
from cloud.auth.deps import GuestDataUser, check_property
from cloud.auth.roles import Principal
from cloud.catalog import service as catalog
from cloud.catalog.models import Property, RatePlan, Room, RoomType
from cloud.core.deps import DbSession, request_time, services
from cloud.core.errors import DomainError
from cloud.core.nights import FIRST, LAST, local_today
from cloud.core.templating import templates
from cloud.i18n.jinja import gettext
from cloud.reservations.errors import InvalidRequest
from cloud.reservations.models import Reservation
from cloud.reservations.present import reservation_out
from cloud.reservations.sales import booking, cancellation, queries
from cloud.reservations.sales.guest_match import guest_matcher
from cloud.reservations.stays import rooms
from cloud.reservations.stays import service as stays
from cloud.reservations.stays.ledger import Settle, stay_ledger
from cloud.reservations.web import own_stay

router = APIRouter(prefix="/reservations", include_in_schema=False)



def pick_property(db: Session, user: Principal, site: str | None) -> Property:
    site = site or user.site or next(iter(visible_sites(db, user)), "")
    check_property(db, user, site)
    return catalog.get_property(db, site)


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(
        request, f"reservations/{name}", {"active": "reservations", **context}, status_code=status
    )


@router.get("", response_class=HTMLResponse)
def front_desk(request: Request, db: DbSession, user: GuestDataUser, site: str | None = None) -> HTMLResponse:
    """Arrivals and departures of the property's today."""
    prop = pick_property(db, user, site)
    today = local_today(request_time(request), prop.timezone)
    arrivals = [reservation_out(db, r) for r in queries.arrivals(db, prop, today)]
    departures = [reservation_out(db, r) for r in queries.departures(db, prop, today)]
    return page(
        request, "today.html", {"prop": prop, "today": today, "arrivals": arrivals, "departures": departures}
    )


@router.get("/chart", response_class=HTMLResponse)
def tape_chart(
    request: Request,
    db: DbSession,
    user: GuestDataUser,
    site: str | None = None,
    start: date | None = None,
    days: int = 14,
) -> HTMLResponse:
    """Rooms by dates; a stay can be moved to another room from the keyboard."""
    prop = pick_property(db, user, site)
    today = local_today(request_time(request), prop.timezone)
    start = min(max(start or today, FIRST), LAST - timedelta(days=62))
    days = max(1, min(days, 62))
    rows = queries.tape_chart(db, prop, start=start, days=days)
    dates = [start + timedelta(days=n) for n in range(days)]
    unassigned = queries.unassigned(db, prop, start=start, end=start + timedelta(days=days))
    return page(
        request,
        "chart.html",
        {
            "prop": prop,
            "rows": rows,
            "dates": dates,
            "start": start,
            "days": days,
            "unassigned": unassigned,
            "timedelta": timedelta,
        },
    )


def _form_context(db: Session, prop: Property, form: dict[str, str]) -> dict[str, Any]:
    types = db.scalars(select(RoomType).where(RoomType.property_id == prop.id).order_by(RoomType.rank)).all()
    plans = db.scalars(select(RatePlan).where(RatePlan.property_id == prop.id).order_by(RatePlan.id)).all()
    return {"prop": prop, "types": types, "plans": plans, "form": form}


@router.get("/new", response_class=HTMLResponse)
def new_form(
    request: Request,
    db: DbSession,
    user: GuestDataUser,
    site: str | None = None,
    arrival: date | None = None,
    departure: date | None = None,
    adults: int = 1,
) -> HTMLResponse:
    """The booking form; with dates, the offers of every type and rate, priced night by night."""
    prop = pick_property(db, user, site)
    offers = []
    if arrival and departure:
        try:
            offers = queries.availability(
                db, prop, stay=booking.make_stay(arrival, departure), guests=max(1, min(adults, 20))
            )
        except DomainError as exc:
            return page(request, "new.html", {**_form_context(db, prop, {}), "errors": [exc.detail]}, 422)
    form = {
        "arrival": arrival.isoformat() if arrival else "",
        "adults": str(adults),
        "departure": departure.isoformat() if departure else "",
    }
    return page(request, "new.html", {**_form_context(db, prop, form), "offers": offers, "errors": []})


FIELDS = (
    "room_type",
    "rate_plan",
    "arrival",
    "departure",
    "adults",
    "children",
    "guest_name",
    "guest_email",
    "guest_phone",
    "guest_language",
    "notes",
    "floor",
    "view",
    "accessible",
)


@router.post("/new", response_model=None)
async def book(request: Request, db: DbSession, user: GuestDataUser, site: str | None = None) -> Response:
    data = await request.form()
    form = {k: str(data.get(k, "")).strip()[:2000] for k in FIELDS}
    prop = pick_property(db, user, site)
    try:
        request_ = _booking(prop, form)
        with db.begin_nested():
            res = booking.book(db, request_, now=request_time(request), matcher=guest_matcher(request))
            ledger = stay_ledger(request)
            if ledger is not None:
                ledger.booked(db, res, now=request_time(request))
    except DomainError as exc:
        said = gettext(exc.detail)  # a refusal with a catalogued wording reads in the staff's language
        return page(request, "new.html", {**_form_context(db, prop, form), "errors": [said]}, 422)
    return RedirectResponse(f"/reservations/{res.id}", status_code=303)


def _booking(prop: Property, form: dict[str, str]) -> booking.Booking:
    try:
        arrival, departure = date.fromisoformat(form["arrival"]), date.fromisoformat(form["departure"])
        adults, children = int(form["adults"] or 1), int(form["children"] or 0)
    except ValueError as exc:
        raise InvalidRequest("dates as YYYY-MM-DD and whole numbers of guests, please") from exc
    if not form["guest_name"]:
        raise InvalidRequest("the guest's name is required")
    if form["guest_language"] not in ("", *booking.LANGUAGES):
        raise InvalidRequest(f"the guest's language must be one of {', '.join(booking.LANGUAGES)}")
    prefs: dict[str, Any] = {k: v for k, v in (("floor", form["floor"]), ("view", form["view"])) if v}
    if form["accessible"]:
        prefs["accessible"] = True
    return booking.Booking(
        property=prop.slug,
        room_type=form["room_type"],
        rate_plan=form["rate_plan"],
        arrival=arrival,
        departure=departure,
        adults=adults,
        children=children,
        guest_name=form["guest_name"][:200],
        guest_email=form["guest_email"] or None,
        guest_phone=form["guest_phone"][:32] or None,
        guest_language=form["guest_language"] or None,
        notes=form["notes"],
        preferences=prefs,
    )



@router.get("/{reservation_id}", response_class=HTMLResponse)
def stay_page(
    request: Request, db: DbSession, user: GuestDataUser, reservation_id: str, error: str = ""
) -> HTMLResponse:
    res, prop = own_stay(db, user, reservation_id[:26])
    room_slugs = list(db.scalars(select(Room.slug).where(Room.property_id == prop.id).order_by(Room.slug)))
    ledger = stay_ledger(request)
    type_, plan = db.get(RoomType, res.room_type_id), db.get(RatePlan, res.rate_plan_id)
    return page(
        request,
        "stay.html",
        {
            "prop": prop,
            "room_type_name": type_.name if type_ else "",  # the hotel's own names, not codes
            "rate_plan_name": plan.name if plan else "",
            "r": reservation_out(db, res),
            "rooms": room_slugs,
            "errors": [error[:300]] if error else [],
            "invoices": ledger.invoices(db, res) if ledger is not None else [],
            **stay_panels(request, db, res, prop),
        },
    )


def stay_panels(request: Request, db: Session, res: Reservation, prop: Property) -> dict[str, Any]:
    """The sections other areas add to the stay page (cards: ``keycards``), by template name."""
    now = request_time(request)
    return {name: panel(db, res, prop, now=now) for name, panel in services(request).stay_panels.items()}


ACTIONS = ("check-in", "check-out", "cancel", "move", "language")


@router.post("/{reservation_id}/{action}", response_model=None)
async def act(
    request: Request, db: DbSession, user: GuestDataUser, reservation_id: str, action: str
) -> Response:
    """The stay page's buttons; a refusal comes back to the page as a message, nothing changed."""
    if action not in ACTIONS:
        return Response(status_code=404)
    data = await request.form()
    res, prop = own_stay(db, user, reservation_id[:26])
    back = request.headers.get("referer", "") if data.get("back") == "chart" else ""
    try:
        with db.begin_nested():
            room, settle = str(data.get("room", ""))[:63], str(data.get("settle", ""))[:16]
            language = str(data.get("guest_language", ""))[:8]
            _perform(request, db, res, prop, action, room, settle=settle, language=language, actor=user)
            _account(request, db, res, action)
    except DomainError as exc:
        db.expire_all()
        return stay_page(request, db, user, reservation_id, error=exc.detail)
    return RedirectResponse(back or f"/reservations/{res.id}", status_code=303)


def _account(request: Request, db: Session, res: Any, action: str) -> None:
    """Keep the stay's folio in step with what the button did (check-out checked it first)."""
    ledger, now = stay_ledger(request), request_time(request)
    if ledger is None:
        return
    if action == "check-in":
        ledger.checked_in(db, res, now=now)
    elif action == "check-out":
        ledger.checked_out(db, res, now=now, invoice=False)
    elif action == "cancel":
        ledger.cancelled(db, res, now=now)
    elif action == "language":
        ledger.modified(db, res, now=now)  # the folio's language: invoices from now on


def _settle(value: str) -> Settle:
    try:
        return Settle(value or Settle.REFUSE)
    except ValueError:
        raise InvalidRequest("settle must be refuse or bill_later") from None


def _perform(
    request: Request, db: Session, res: Any, prop: Property, action: str, room: str, *, settle: str,
    language: str, actor: Principal,
) -> None:
    now = request_time(request)
    if action == "check-in":
        issuer = services(request).issuer
        stays.check_in(db, res, issuer=issuer, now=now, actor=actor)
    elif action == "check-out":
        ledger = stay_ledger(request)
        if ledger is not None:
            ledger.before_check_out(db, res, settle=_settle(settle))
        stays.check_out(db, res, now=now, actor=actor)
    elif action == "cancel":
        cancellation.cancel(db, res, now=now)
    elif action == "language":
        booking.update_guest(db, res, guest_language=language)
    else:
        rooms.move(db, res, room=catalog.room_by_slug(db, prop, room), hooks=services(request).move_hooks)
