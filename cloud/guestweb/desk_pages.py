"""QR check-in at the desk: the scanner reads the guest's code into one field, and one action checks
the stay in (the room's card goes to the floor's gateway) and sends the card to the desk station
to be encoded; the desk then sees the stay page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cloud.auth.deps import GuestDataUser
from cloud.cards import desk as desk_stations
from cloud.cards import stay_cards
from cloud.core.deps import DbSession, request_time, services
from cloud.core.errors import DomainError
from cloud.core.templating import templates
from cloud.guestweb.errors import LinkRefused
from cloud.guestweb.links import BadLink
from cloud.guestweb.models import PreCheckIn
from cloud.reservations.stays import service as stays
from cloud.reservations.web import own_stay

router = APIRouter(prefix="/desk", include_in_schema=False)
PREFIX = "POSADA-CHECKIN:"


def _page(request: Request, db: DbSession, user: GuestDataUser, *, error: str = "",
          status: int = 200) -> Response:
    stations = desk_stations.stations(db, site=user.site, now=request_time(request)) if user.site else []
    return templates.TemplateResponse(request, "guestweb/desk_qr.html",
                                      {"error": error, "stations": stations},
                                      status_code=status)


@router.get("/qr-check-in", response_class=HTMLResponse)
def scan_page(request: Request, db: DbSession, user: GuestDataUser) -> Response:
    return _page(request, db, user)


@router.post("/qr-check-in", response_model=None)
async def scan(request: Request, db: DbSession, user: GuestDataUser) -> Response:
    """Check in the pre-checked-in stay the code names, and encode its first card at the station."""
    form = await request.form()
    code, station = str(form.get("code", "")).strip(), str(form.get("station", ""))[:40]
    app = services(request)
    ctx = app.guestweb
    assert ctx is not None
    now = request_time(request)
    try:
        try:
            grant = ctx.signer.verify(code.removeprefix(PREFIX), purpose="checkin", now=now)
        except BadLink as exc:
            raise LinkRefused(str(exc)) from None
        res, prop = own_stay(db, user, grant.reservation_id, lock=True)
        pre = db.get(PreCheckIn, res.id)
        if pre is None:
            raise LinkRefused("this booking has no online check-in")
        with db.begin_nested():
            if res.status == "booked":
                stays.check_in(db, res, issuer=app.issuer, now=now, actor=user)
                app.ledger.checked_in(db, res, now=now)
                pre.checked_in_at = now
            if station:
                stay_cards.encode_for_guest(db, app.issuer, res=res, guest=1, site=prop.slug, station=station,
                                            actor=user, now=now)
    except DomainError as exc:
        db.rollback()
        return _page(request, db, user, error=exc.detail, status=exc.status)
    return RedirectResponse(f"/reservations/{res.id}", status_code=303)
