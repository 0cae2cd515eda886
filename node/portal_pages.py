"""The cloud's own front-desk screens served by the node: today's arrivals and departures
(``reservations/today.html``) and a stay's check-out page with its folio, extras, cash and card
payments and the check-out (``billing/checkout.html``), rendered from the replica through the
cloud's view models (``node/desk_screens.py``). The forms post to the same paths as in the cloud;
here they record the desk's operations in the node's outbox.

(No ``from __future__ import annotations``: the routes' dependencies are local aliases.)
"""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any

from babel.numbers import get_decimal_symbol
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from cloud.billing.desk import EXTRAS, AmountRefused, parse_amount
from cloud.billing.desk_messages import message
from cloud.core.money import Money
from cloud.i18n.catalog import babel_locale
from cloud.i18n.jinja import gettext
from mqtt.envelope import new_id
from node.desk import DeskError
from node.desk_reasons import REASONS
from node.desk_screens import folio, reservation
from node.desk_view import DeskStay, DeskView
from node.front_desk import FrontDesk
from node.keys import NoDelegation

FORM_KEY = re.compile(r"[0-9A-Z]{26}")  # the page's one-time key (mqtt.envelope.new_id)
PAYMENT_METHODS = {"cash": "cash", "card": "terminal"}  # the cloud's check-out form -> the node's
# the node's refusals the check-out page words as the cloud's page does
CLOUD_SAYS = {"balance": "balance_owed", "charge_kind": "kind", "method": "method", "amount": "negative"}


def portal_router(
    desk: FrontDesk,
    templates: Jinja2Templates,
    *,
    staff: Callable[..., str],
    checked: Callable[..., Any],
    today: Callable[[], date],
    common: Callable[[Request], dict[str, Any]],
) -> APIRouter:
    node = desk.node
    Staff = Annotated[str, Depends(staff)]
    Poster = Annotated[str, Depends(checked)]
    router = APIRouter(prefix="/reservations")

    def name(stay: DeskStay) -> str:
        guest = node.guest(stay.reservation_id, stay.guest_sealed)
        return guest.name if guest is not None else stay.reservation_id

    def shown(stay: DeskStay, view: DeskView) -> Any:
        return reservation(stay, site=node.settings.site, guest_name=name(stay), room=view.room(stay.room))

    @router.get("", response_class=HTMLResponse)
    def today_page(request: Request, user: Staff) -> HTMLResponse:
        """As the cloud lists them: today's arrivals booked or in house, today's departures."""
        view = desk.view(today=today())
        stays = (view.arrivals + view.in_house) if view else []
        day = today()
        arrivals = [shown(s, view) for s in stays if s.arrival == day] if view else []
        departures = [shown(s, view) for s in stays if s.departure == day] if view else []
        return templates.TemplateResponse(
            request,
            "reservations/today.html",
            {
                **common(request),
                "active": "reservations",
                "prop": {"name": node.settings.site, "slug": node.settings.site},
                "today": day,
                "arrivals": sorted(arrivals, key=lambda r: r.guest_name.casefold()),
                "departures": sorted(departures, key=lambda r: r.guest_name.casefold()),
            },
        )

    @router.get("/{res}", response_class=HTMLResponse)
    def stay_page(res: str, user: Staff) -> Response:
        """The cloud's stay page is the cloud's; the node's row of the stay has its check-in, or
        its room move and cards."""
        view = desk.view(today=today())
        stay = view.stay(res) if view else None
        row = "arrival" if stay is not None and stay.status == "booked" else "stay"
        return RedirectResponse(f"/#{row}-{res[:64]}", status_code=303)

    @router.post("/{res}/check-in")
    def check_in(
        request: Request, user: Poster, res: str, key: Annotated[str, Form(max_length=32)] = ""
    ) -> Response:
        if not FORM_KEY.fullmatch(key):  # a page from before the forms carried keys, or forged
            return RedirectResponse("/?error=repeated", status_code=303)
        if not node.sessions.claim_form(key, at=datetime.now(UTC)):
            return RedirectResponse("/reservations", status_code=303)  # sent twice: done once
        view = desk.view(today=today())
        stay = view.stay(res) if view else None
        room = stay.room if stay else ""
        if stay is not None and view is not None and not room:  # the cloud assigns one at check-in too
            free = [
                r.room for r in view.free_rooms(stay.arrival, stay.departure) if r.room_type == stay.room_type
            ]
            room = free[0] if free else ""
        try:
            desk.check_in(res, room=room, staff=user, today=today())
        except DeskError as exc:
            node.sessions.release_form(key)
            return RedirectResponse(f"/?error={exc.reason}", status_code=303)
        return RedirectResponse("/reservations", status_code=303)

    def checkout(
        request: Request, res: str, *, errors: list[str] | None = None, status: int = 200
    ) -> Response:
        view = desk.view(today=today())
        stay = view.stay(res) if view else None
        replica = node.status.replica()
        if view is None or stay is None or stay.status != "checked_in" or replica is None:
            return RedirectResponse("/", status_code=303)
        balance = next((f.balance_minor for f in replica.folios if f.reservation_id == res), 0)
        folio_view = folio(
            stay,
            replica_balance=balance,
            as_of=replica.as_of,
            pricing=replica.pricing,
            pending=node.outbox.pending_operations(),
        )
        query = request.query_params
        return templates.TemplateResponse(
            request,
            "billing/checkout.html",
            {
                **common(request),
                "active": "reservations",
                "r": shown(stay, view),
                "view": folio_view,
                "folio": folio_view.folio,
                "extras": EXTRAS,
                "qr": False,
                "key": new_id(),
                "errors": errors or [],
                "done": query.get("done", "")[:16],
                "change": _int(query.get("change")),
                "paid": _int(query.get("paid")),
                "pending": False,
                "owed_text": _typed(request, Money(max(folio_view.owed, 0), stay.currency)),
                "tax_inclusive": replica.pricing.prices_include_tax,
            },
            status_code=status,
        )

    @router.get("/{res}/checkout", response_class=HTMLResponse)
    def checkout_page(request: Request, user: Staff, res: str) -> Response:
        return checkout(request, res[:64])

    async def act(request: Request, res: str, work: Callable[[dict[str, str], str], str]) -> Response:
        data = await request.form()
        form = {k: str(v).strip()[:300] for k, v in data.items() if isinstance(v, str)}
        view = desk.view(today=today())
        stay = view.stay(res) if view else None
        if stay is None:
            return checkout(request, res, errors=[gettext(REASONS["unknown_reservation"])], status=409)
        key = form.get("key", "")
        if not FORM_KEY.fullmatch(key):
            return checkout(request, res, errors=[message("repeated")], status=422)
        if not node.sessions.claim_form(key, at=datetime.now(UTC)):
            return RedirectResponse(f"/reservations/{res}/checkout", status_code=303)  # sent twice: done once
        try:
            query = work(form, stay.currency)
        except AmountRefused as exc:
            node.sessions.release_form(key)
            return checkout(request, res, errors=[message(exc.reason, currency=stay.currency)], status=422)
        except DeskError as exc:
            node.sessions.release_form(key)
            if exc.reason in CLOUD_SAYS:  # the cloud's own sentence for the same refusal
                said = message(CLOUD_SAYS[exc.reason], owed=stay.balance_minor, currency=stay.currency)
            else:
                said = gettext(REASONS[exc.reason]) if exc.reason in REASONS else str(exc)
            return checkout(request, res, errors=[said], status=409)
        except NoDelegation as exc:
            node.sessions.release_form(key)
            return checkout(request, res, errors=[str(exc)], status=409)
        if query.startswith("/"):
            return RedirectResponse(query, status_code=303)
        return RedirectResponse(f"/reservations/{res}/checkout{query}", status_code=303)

    def amount(form: dict[str, str], field: str, currency: str) -> int:
        return parse_amount(
            form.get(field, ""), currency=form.get("currency", ""), folio_currency=currency
        ).minor

    @router.post("/{res}/checkout/payment")
    async def payment(request: Request, user: Poster, res: str) -> Response:
        def work(form: dict[str, str], currency: str) -> str:
            method = PAYMENT_METHODS.get(form.get("method", ""), "")
            paid = amount(form, "amount", currency)
            tendered = amount(form, "tendered", currency) if form.get("tendered") else None
            if tendered is not None and tendered < paid:
                raise AmountRefused("tendered_short")
            desk.payment(res, method=method, amount_minor=paid, staff=user, today=today())
            change = f"&change={tendered - paid}" if tendered is not None else ""
            return f"?done=payment&paid={paid}{change}"

        return await act(request, res[:64], work)

    @router.post("/{res}/checkout/charge")
    async def charge(request: Request, user: Poster, res: str) -> Response:
        def work(form: dict[str, str], currency: str) -> str:
            quantity = form.get("quantity", "1")
            if not (quantity.isdigit() and 1 <= int(quantity) <= 100):
                raise AmountRefused("quantity")
            desk.charge(
                res,
                kind=form.get("kind", ""),
                description=form.get("description", "")[:200],
                quantity=int(quantity),
                amount_minor=amount(form, "unit_price", currency),
                staff=user,
                today=today(),
            )
            return "?done=charge"

        return await act(request, res[:64], work)

    @router.post("/{res}/checkout/finish")
    async def finish(request: Request, user: Poster, res: str) -> Response:
        def work(form: dict[str, str], currency: str) -> str:
            desk.check_out(res, staff=user, today=today())
            return "/?done=checked_out"  # the stay leaves the node's in-house list

        return await act(request, res[:64], work)

    return router


def _typed(request: Request, amount: Money) -> str:
    """An amount as the desk would type it: the locale's decimal mark, no grouping."""
    mark = get_decimal_symbol(babel_locale(getattr(request.state, "lang", "en")))
    return amount.decimal_text().replace(".", mark if mark in ".," else ".")


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 16 else None
