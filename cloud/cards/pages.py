"""The stay page's Keycards section: encode a card at a desk station, revoke one, live status."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from cloud.auth.deps import GuestDataUser
from cloud.cards import desk, stay_cards
from cloud.catalog.models import Property
from cloud.core.deps import DbSession, request_time, services
from cloud.core.errors import DomainError
from cloud.core.templating import templates
from cloud.i18n.jinja import gettext
from cloud.i18n.labels import N_
from cloud.reservations.errors import InvalidRequest
from cloud.reservations.models import Reservation
from cloud.reservations.web import own_stay

router = APIRouter(prefix="/reservations", include_in_schema=False)
# Why an encode job ended without a card, as the desk reads it.
REASONS = {
    "no_tag": N_("no card was held to the encoder in time"),
    "write_failed": N_("writing the card failed"),
    "verify_mismatch": N_("the card read back differently from what was written"),
    "unsupported_tag": N_("this kind of card is not supported"),
    "reader_unavailable": N_("the card reader is not available"),
    "bad_card": N_("the encoder refused the card data"),
    "not_picked_up": N_("no encoder at that station picked it up in time"),
    "no_result": N_("the encoder did not answer in time"),
}


def keycards_context(db: Session, res: Reservation, prop: Property, *, now: Any) -> dict[str, Any]:
    """What ``reservations/_cards.html`` shows: the stay's cards, stations, guest numbers."""
    cards = [stay_cards.card_out(db, c, now=now) for c in stay_cards.cards_of(db, res)]
    return {
        "cards": cards,
        "stations": desk.stations(db, site=prop.slug, now=now),
        "guest_numbers": range(
            1, max(res.adults + res.children, max((c.guest for c in cards), default=0)) + 2
        ),
        "pending": any(c.status == "encoding" for c in cards),
        "can_issue": res.status == "checked_in",
        "reasons": {code: gettext(text) for code, text in REASONS.items()},
    }




@router.get("/{reservation_id}/keycards", response_class=HTMLResponse)
def keycards(request: Request, db: DbSession, user: GuestDataUser, reservation_id: str) -> HTMLResponse:
    """The section alone, which the stay page fetches again while a card is being encoded."""
    res, prop = own_stay(db, user, reservation_id[:26])
    context = {"r": {"id": res.id}, "keycards": keycards_context(db, res, prop, now=request_time(request))}
    return templates.TemplateResponse(request, "reservations/_cards.html", context)


@router.post("/{reservation_id}/cards/encode", response_model=None)
async def encode(request: Request, db: DbSession, user: GuestDataUser, reservation_id: str) -> Response:
    """Encode card: the guest's card not yet on a tag (or a new one for them) goes to the station."""
    form = await request.form()
    res, prop = own_stay(db, user, reservation_id[:26])
    try:
        guest, station = _guest(str(form.get("guest", ""))), str(form.get("station", ""))[:40]
        issuer = services(request).issuer
        if not station:
            raise InvalidRequest("choose a desk station")
        with db.begin_nested():
            stay_cards.encode_for_guest(
                db,
                issuer,
                res=res,
                guest=guest,
                site=prop.slug,
                station=station,
                actor=user,
                now=request_time(request),
            )
    except DomainError as exc:
        return _back(res.id, exc.detail)
    return _back(res.id)


@router.post("/{reservation_id}/cards/{card_id}/revoke", response_model=None)
def revoke(
    request: Request, db: DbSession, user: GuestDataUser, reservation_id: str, card_id: str
) -> Response:
    res, _prop = own_stay(db, user, reservation_id[:26])
    try:
        with db.begin_nested():
            stay_cards.revoke(db, res=res, card_id=card_id, actor=user, now=request_time(request))
    except DomainError as exc:
        return _back(res.id, exc.detail)
    return _back(res.id)


def _guest(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 255:
        raise InvalidRequest("the guest number is 1 to 255")
    return int(value)


def _back(reservation_id: str, error: str = "") -> RedirectResponse:
    query = f"?error={quote(error[:300])}" if error else ""
    return RedirectResponse(f"/reservations/{reservation_id}{query}#keycards", status_code=303)
