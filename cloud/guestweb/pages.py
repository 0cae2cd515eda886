"""The public booking pages of a property (no staff sign-in): search, choose, details, pay.

Mobile first, in the visitor's language (``?lang=`` or the browser's), the property's currency.
Every page may be framed by the origins the property lists (``frame-ancestors``); every search
and booking counts against the client address's allowance; a booking is reached only through
its signed link.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from cloud.billing import property_terms as terms
from cloud.billing.models import Payment
from cloud.billing.stay_ledger import folio_of
from cloud.core.deps import services
from cloud.core.errors import DomainError
from cloud.core.idempotency import idempotent
from cloud.core.origin import client_address
from cloud.core.templating import templates
from cloud.guestweb import booking as engine
from cloud.guestweb import cancel as guest_cancel
from cloud.guestweb import checkout as self_checkout
from cloud.guestweb import extras, phone_key, precheckin, present, promotions
from cloud.guestweb.context import GuestWebContext
from cloud.guestweb.errors import LinkRefused, TooManyRequests
from cloud.guestweb.links import BadLink
from cloud.guestweb.models import GuestHold, PreCheckIn
from cloud.guestweb.payment import start_checkout
from cloud.guestweb.schemas import BookIn, ChoiceIn, SearchIn
from cloud.i18n.catalog import LANGUAGES
from cloud.i18n.jinja import current_lang
from cloud.loyalty.errors import OfferRefused
from cloud.loyalty.promotions import online as offers_online
from cloud.loyalty.promotions.terms import REFUSED
from cloud.notify.outbox import set_opt_out
from cloud.payments.qr_image import qr_png
from cloud.reservations.models import Reservation
from cloud.reservations.sales.booking import Booking, make_stay

router = APIRouter(prefix="/guest", include_in_schema=False)
CHECKIN_PREFIX = "POSADA-CHECKIN:"  # what the desk's scanner reads off the guest's QR


def context_of(request: Request) -> GuestWebContext:
    ctx = services(request).guestweb
    assert ctx is not None
    return ctx


def _language(request: Request) -> str:
    """``?lang=`` wins over the cookie and the browser's; kept for this request's pages."""
    asked = request.query_params.get("lang")
    lang = asked if asked in LANGUAGES else getattr(request.state, "lang", "en")
    request.state.lang = lang
    current_lang.set(lang)
    return lang


def _page(request: Request, site: str, name: str, values: dict[str, Any], status: int = 200) -> Response:
    ctx = context_of(request)
    response = templates.TemplateResponse(request, f"guestweb/{name}", {
        "site": site, "present": present, **values}, status_code=status)
    allowed = " ".join(["'self'", *ctx.settings.guestweb_frame_ancestors.get(site, [])])
    response.headers["content-security-policy"] = f"frame-ancestors {allowed}"
    return response


def _problem(request: Request, site: str, exc: DomainError) -> Response:
    return _page(request, site, "problem.html", {"kind": exc.type_, "detail": exc.detail}, status=exc.status)


def _limit(request: Request, action: str, *, per: int, window_s: float) -> None:
    ctx = context_of(request)
    address = client_address(request) or "unknown"  # behind a trusted proxy, the client it names
    if not ctx.limiter.allow(address, action, per_window=per, window_s=window_s, now=ctx.monotonic()):
        raise TooManyRequests("too many requests from this address; wait a minute and try again")


def _form_errors(exc: ValidationError) -> list[str]:
    return sorted({str(error["loc"][0]) for error in exc.errors() if error.get("loc")})


@router.get("/{site}", response_class=HTMLResponse)
async def search(request: Request, site: str) -> Response:
    lang = _language(request)
    ctx = context_of(request)
    values: dict[str, Any] = {"lang": lang, "query": dict(request.query_params), "offers": None, "errors": []}
    sessions = services(request).sessions
    try:
        with sessions() as session:  # the property's name: one small read
            prop = await run_in_threadpool(engine.property_of, session, site)
            values["prop_name"], values["currency"] = prop.name, prop.currency
            if "for" in request.query_params and "arrival" not in request.query_params:
                values["for_you"] = await run_in_threadpool(_for_you, request, session, prop, lang)
        if "arrival" in request.query_params:
            try:
                asked = SearchIn.model_validate(dict(request.query_params))
            except ValidationError as exc:
                values["errors"] = _form_errors(exc)
                return _page(request, site, "search.html", values, status=422)
            _limit(request, "search", per=ctx.settings.guestweb_searches_per_minute, window_s=60)
            if asked.code:  # offer codes: a smaller allowance, so they cannot be walked
                _limit(request, "offer", per=offers_online.TRIES_PER_HOUR, window_s=3600)
            stay = make_stay(asked.arrival, asked.departure)
            now = services(request).clock()

            def find() -> list[engine.TypeOffer]:
                with sessions() as session:
                    prop = engine.property_of(session, site)
                    found = engine.offers(session, prop, stay=stay, guests=asked.adults + asked.children)
                    session.expunge_all()
                    found, values["unlocking"] = promotions.visible(
                        session, found, site=site, code=asked.code, lang=lang, today=now.date(),
                        secret=services(request).settings.secret_key, arrival=asked.arrival,
                        departure=asked.departure)
                    values["for_you"] = _for_you(request, session, prop, lang)
                    return found

            values["offers"], values["asked"] = await run_in_threadpool(find), asked
    except DomainError as exc:
        return _problem(request, site, exc)
    return _page(request, site, "search.html", values)


@router.get("/{site}/book", response_class=HTMLResponse)
async def details(request: Request, site: str) -> Response:
    lang = _language(request)
    try:
        choice = ChoiceIn.model_validate(dict(request.query_params))
    except ValidationError:
        return RedirectResponse(f"/guest/{site}?lang={lang}", status_code=303)
    sessions = services(request).sessions

    def chosen() -> dict[str, Any]:
        with sessions() as session:
            prop = engine.property_of(session, site)
            found = engine.offers(session, prop, stay=make_stay(choice.arrival, choice.departure),
                                  guests=choice.adults + choice.children)
            session.expunge_all()
            if choice.rate_plan.startswith("~"):  # a chain offer: only as the search shows it
                found, _unlocking = promotions.visible(
                    session, found, site=site, code=choice.code, lang=lang, arrival=choice.arrival,
                    departure=choice.departure, today=services(request).clock().date(),
                    secret=services(request).settings.secret_key)
            for offer in found:
                for plan in offer.plans:
                    if offer.room_type.code == choice.room_type and plan.plan.code == choice.rate_plan:
                        offered = context_of(request).extras.offered(session, site=site, language=lang)
                        session.expunge_all()
                        return {"offer": offer, "plan": plan, "currency": prop.currency,
                                "prop_name": prop.name, "extras": offered,
                                "nights": (choice.departure - choice.arrival).days,
                                "guests": choice.adults + choice.children}
            return {}

    try:
        if choice.code and choice.rate_plan.startswith("~"):
            _limit(request, "offer", per=offers_online.TRIES_PER_HOUR, window_s=3600)
        found = await run_in_threadpool(chosen)
    except DomainError as exc:
        return _problem(request, site, exc)
    if not found and choice.code and choice.rate_plan.startswith("~"):
        return _problem(request, site, OfferRefused(REFUSED))
    if not found:
        return _page(request, site, "problem.html", {"kind": "/problems/reservations/sold-out",
                                                     "detail": ""}, status=409)
    return _page(request, site, "details.html", {
        "lang": lang, "choice": choice, "form_key": secrets.token_urlsafe(24), "errors": [], **found,
        "offer_code": choice.code if choice.rate_plan.startswith("~") else ""})


@router.post("/{site}/book", response_class=HTMLResponse)
async def book(request: Request, site: str) -> Response:
    lang = _language(request)
    ctx = context_of(request)
    app = services(request)
    posted = await request.form()
    form: dict[str, Any] = {**dict(posted), "extras": posted.getlist("extra")}
    try:
        asked = BookIn.model_validate(form)
    except ValidationError as exc:
        return _page(request, site, "problem.html", {"kind": "/problems/guestweb/form",
                                                     "detail": ", ".join(_form_errors(exc))}, status=422)
    try:
        _limit(request, "book", per=ctx.settings.guestweb_bookings_per_hour, window_s=3600)
        if asked.offer_code:
            _limit(request, "offer", per=offers_online.TRIES_PER_HOUR, window_s=3600)
        request_ = Booking(
            property=site, room_type=asked.room_type, rate_plan=asked.rate_plan, arrival=asked.arrival,
            departure=asked.departure, adults=asked.adults, children=asked.children,
            guest_name=asked.guest_name, guest_email=asked.guest_email, guest_phone=asked.guest_phone,
            guest_language=present.LANG_TO_GUEST.get(lang, "en"), notes=asked.notes)

        def work(session: Session) -> tuple[int, Any]:
            now = app.clock()
            picked = extras.chosen(ctx.extras.offered(session, site=site, language=lang), asked.extras)
            offer = offers_online.for_booking(  # only a chain promotion's plan is looked up
                session, secret=app.settings.secret_key, code=asked.offer_code, site=site,
                plan=asked.rate_plan, arrival=asked.arrival, departure=asked.departure, today=now.date())
            res, held = engine.hold(session, request_, pay=asked.pay, ledger=app.ledger, now=now,
                                    minutes=ctx.settings.guestweb_hold_minutes, matcher=app.matcher)
            if offer is not None:
                offers_online.booked(session, offer, res, site=site, now=now)
            added = extras.charge(session, res, picked, guests=asked.adults + asked.children, now=now,
                                  policy=terms.tax_policy(session, app.billing.settings, site))
            if held.pay == "full":
                held.amount_minor += added  # the whole stay: its extras too
            return 201, {"reservation": res.id}

        _status, body = await run_in_threadpool(partial(
            idempotent, app.sessions, scope=f"guestweb book {site}", key=asked.form_key,
            payload=asked.model_dump(mode="json"), work=work, clock=app.clock))
    except DomainError as exc:
        return _problem(request, site, exc)
    ref = stay_link(ctx, body["reservation"], now=app.clock())
    return RedirectResponse(f"/guest/{site}/stay/{ref}?lang={lang}", status_code=303)


def _for_you(request: Request, session: Session, prop: Any, lang: str) -> promotions.ForYou:
    """What a returning guest may like, if they came through their own booking's link (``for``)."""
    ref = request.query_params.get("for", "")[:400]
    if not ref:
        return promotions.ForYou()
    try:
        reservation_id = _grant(request, ref)
    except LinkRefused:
        return promotions.ForYou()  # a bad or foreign link: the page reads as for anyone
    return promotions.for_returning(session, reservation_id=reservation_id, site_id=prop.id, site=prop.slug,
                                    lang=lang)


def stay_link(ctx: GuestWebContext, reservation_id: str, *, now: Any) -> str:
    return ctx.signer.sign(purpose="stay", reservation_id=reservation_id,
                           expires_at=now + timedelta(days=ctx.settings.guestweb_link_days))


def _grant(request: Request, ref: str) -> str:
    ctx = context_of(request)
    try:
        return ctx.signer.verify(ref, purpose="stay", now=services(request).clock()).reservation_id
    except BadLink as exc:
        raise LinkRefused(str(exc)) from None


@router.get("/{site}/stay/{ref}", response_class=HTMLResponse)
async def stay(request: Request, site: str, ref: str) -> Response:
    lang = _language(request)
    app = services(request)

    def read(reservation_id: str) -> dict[str, Any]:
        with app.sessions() as session:
            res = session.get(Reservation, reservation_id)
            prop = engine.property_of(session, site)
            if res is None or res.property_id != prop.id:
                raise LinkRefused("no such booking")
            held = session.get(GuestHold, reservation_id)
            folio = folio_of(session, reservation_id)
            payments = [] if folio is None else list(session.scalars(
                select(Payment).where(Payment.folio_id == folio.id).order_by(Payment.created_at)))
            for_you = promotions.for_returning(session, reservation_id=res.id, site_id=prop.id, site=site,
                                               lang=lang)
            session.expunge_all()
            return {"res": res, "held": held, "prop_name": prop.name, "payments": payments,
                    "now": app.clock(), "for_you": for_you}

    try:
        values = await run_in_threadpool(read, _grant(request, ref))
    except DomainError as exc:
        return _problem(request, site, exc)
    return _page(request, site, "stay.html", {"lang": lang, "ref": ref, **values})


@router.post("/{site}/stay/{ref}/pay")
async def pay(request: Request, site: str, ref: str) -> Response:
    lang = _language(request)
    ctx, app = context_of(request), services(request)
    base = ctx.settings.guestweb_public_url.rstrip("/") or str(request.base_url).rstrip("/")
    back = f"{base}/guest/{site}/stay/{ref}?lang={lang}"
    try:
        reservation_id = _grant(request, ref)
        _limit(request, "pay", per=ctx.settings.guestweb_bookings_per_hour * 3, window_s=3600)
        started = await run_in_threadpool(partial(
            start_checkout, app.sessions, ctx.checkout, reservation_id=reservation_id, now=app.clock(),
            success_url=back + "&paid=1", cancel_url=back, card_provider=app.billing.provider,
            mail=ctx.mailer(base)))
    except DomainError as exc:
        return _problem(request, site, exc)
    return RedirectResponse(started.url, status_code=303)


def _optout_grant(request: Request, ref: str) -> str:
    try:
        grant = context_of(request).signer.verify(ref, purpose="optout", now=services(request).clock())
        return grant.reservation_id
    except BadLink as exc:
        raise LinkRefused(str(exc)) from None


@router.get("/{site}/optout/{ref}", response_class=HTMLResponse)
async def optout_page(request: Request, site: str, ref: str) -> Response:
    """Asks first: mail scanners open links, and only the guest's click may unsubscribe."""
    lang = _language(request)
    try:
        _optout_grant(request, ref)
    except DomainError as exc:
        return _problem(request, site, exc)
    return _page(request, site, "optout.html", {"lang": lang, "ref": ref, "done": False})


@router.post("/{site}/optout/{ref}", response_class=HTMLResponse)
async def optout(request: Request, site: str, ref: str) -> Response:
    """The guest's choice (also RFC 8058's one-click POST); queued email to them is suppressed."""
    lang = _language(request)
    app = services(request)

    def record(reservation_id: str) -> None:
        with app.sessions.begin() as session:
            res = session.get(Reservation, reservation_id)
            if res is None or not res.guest_email:
                raise LinkRefused("no such booking")
            set_opt_out(session, channel="email", address=res.guest_email, opted_out=True, now=app.clock())

    try:
        await run_in_threadpool(record, _optout_grant(request, ref))
    except DomainError as exc:
        return _problem(request, site, exc)
    return _page(request, site, "optout.html", {"lang": lang, "ref": ref, "done": True})


def _precheckin_grant(request: Request, ref: str) -> str:
    try:
        grant = context_of(request).signer.verify(ref, purpose="precheckin", now=services(request).clock())
    except BadLink as exc:
        raise LinkRefused(str(exc)) from None
    return grant.reservation_id


def _booking(session: Session, site: str, reservation_id: str) -> Reservation:
    res = session.get(Reservation, reservation_id)
    prop = engine.property_of(session, site)
    if res is None or res.property_id != prop.id:
        raise LinkRefused("no such booking")
    return res


@router.get("/{site}/precheckin/{ref}", response_class=HTMLResponse)
async def precheckin_page(request: Request, site: str, ref: str) -> Response:
    lang = _language(request)
    app, ctx = services(request), context_of(request)

    def read(reservation_id: str) -> dict[str, Any]:
        with app.sessions() as session:
            res = _booking(session, site, reservation_id)
            done = session.get(PreCheckIn, reservation_id)
            prop = engine.property_of(session, site)
            session.expunge_all()
            return {"res": res, "done": done, "prop_name": prop.name,
                    "retention_until": precheckin.retention_end(
                        res, days=ctx.settings.guestweb_document_days)}

    try:
        values = await run_in_threadpool(read, _precheckin_grant(request, ref))
    except DomainError as exc:
        return _problem(request, site, exc)
    checkin = None
    if values["done"] is not None:
        checkin = ctx.signer.sign(purpose="checkin", reservation_id=values["res"].id,
                                  expires_at=values["res"].checkout_due_at)
    return _page(request, site, "precheckin.html", {"lang": lang, "ref": ref, "checkin": checkin,
                                                    "errors": [], **values})


@router.get("/{site}/precheckin/{ref}/qr.png")
async def precheckin_qr(request: Request, site: str, ref: str) -> Response:
    """The QR the desk scans: the booking's signed check-in code."""
    app, ctx = services(request), context_of(request)
    try:
        reservation_id = _precheckin_grant(request, ref)
        with app.sessions() as session:
            res = _booking(session, site, reservation_id)
            if session.get(PreCheckIn, reservation_id) is None:
                raise LinkRefused("pre-check-in first")
            code = ctx.signer.sign(purpose="checkin", reservation_id=res.id, expires_at=res.checkout_due_at)
    except DomainError as exc:
        return _problem(request, site, exc)
    return Response(qr_png(f"{CHECKIN_PREFIX}{code}"), media_type="image/png")


@router.post("/{site}/precheckin/{ref}", response_class=HTMLResponse)
async def precheckin_submit(request: Request, site: str, ref: str) -> Response:
    lang = _language(request)
    app, ctx = services(request), context_of(request)
    try:
        form = precheckin.PreCheckInIn.model_validate(dict(await request.form()))
    except ValidationError as exc:
        return _page(request, site, "problem.html", {"kind": "/problems/guestweb/form",
                                                     "detail": ", ".join(_form_errors(exc))}, status=422)

    def save(reservation_id: str) -> None:
        with app.sessions.begin() as session:
            res = _booking(session, site, reservation_id)
            precheckin.submit(session, app.guests.vault, res=res, form=form, now=app.clock(),
                              retention_days=ctx.settings.guestweb_document_days)

    try:
        await run_in_threadpool(save, _precheckin_grant(request, ref))
    except DomainError as exc:
        return _problem(request, site, exc)
    return RedirectResponse(f"/guest/{site}/precheckin/{ref}?lang={lang}", status_code=303)


@router.get("/{site}/stay/{ref}/key", response_class=HTMLResponse)
async def key_page(request: Request, site: str, ref: str) -> Response:
    """The phone key while the stay is checked in: a QR and the NFC record of the card."""
    lang = _language(request)
    app = services(request)

    def read(reservation_id: str) -> dict[str, Any]:
        with app.sessions() as session:
            res = _booking(session, site, reservation_id)
            card = phone_key.current(session, res, now=app.clock())
            nfc = phone_key.ndef_record(phone_key.card_bytes(card)).hex() if card is not None else ""
            session.expunge_all()
            return {"res": res, "card": card, "nfc": nfc, "prop_name": engine.property_of(session, site).name}

    try:
        values = await run_in_threadpool(read, _grant(request, ref))
    except DomainError as exc:
        return _problem(request, site, exc)
    return _page(request, site, "key.html", {"lang": lang, "ref": ref, **values})


@router.post("/{site}/stay/{ref}/key", response_model=None)
async def key_issue(request: Request, site: str, ref: str) -> Response:
    lang = _language(request)
    app = services(request)

    def issue(reservation_id: str) -> None:
        with app.sessions.begin() as session:
            res = _booking(session, site, reservation_id)
            phone_key.issue(session, app.issuer, res=res, now=app.clock())

    try:
        await run_in_threadpool(issue, _grant(request, ref))
    except DomainError as exc:
        return _problem(request, site, exc)
    return RedirectResponse(f"/guest/{site}/stay/{ref}/key?lang={lang}", status_code=303)


@router.get("/{site}/stay/{ref}/key.png")
async def key_qr(request: Request, site: str, ref: str) -> Response:
    """The QR the door's reader takes: the card's bytes, base64url as the card format writes them."""
    app = services(request)
    try:
        reservation_id = _grant(request, ref)
        with app.sessions() as session:
            card = phone_key.current(session, _booking(session, site, reservation_id), now=app.clock())
            if card is None or card.pending_card is None:
                raise LinkRefused("no phone key")
            payload = card.pending_card
    except DomainError as exc:
        return _problem(request, site, exc)
    return Response(qr_png(payload), media_type="image/png", headers={"cache-control": "no-store"})


@router.get("/{site}/stay/{ref}/checkout", response_class=HTMLResponse)
async def checkout_page(request: Request, site: str, ref: str) -> Response:
    """The folio on the phone: what was charged, what was paid, what is owed."""
    lang = _language(request)
    app = services(request)

    def read(reservation_id: str) -> dict[str, Any]:
        with app.sessions() as session:
            res = _booking(session, site, reservation_id)
            view = self_checkout.folio_view(session, res)
            name = engine.property_of(session, site).name
            session.expunge_all()
            return {"res": res, "folio": view, "prop_name": name}

    try:
        values = await run_in_threadpool(read, _grant(request, ref))
    except DomainError as exc:
        return _problem(request, site, exc)
    return _page(request, site, "checkout.html", {"lang": lang, "ref": ref, **values})


@router.post("/{site}/stay/{ref}/checkout", response_model=None)
async def checkout_submit(request: Request, site: str, ref: str) -> Response:
    lang = _language(request)
    app, ctx = services(request), context_of(request)
    base = ctx.settings.guestweb_public_url.rstrip("/") or str(request.base_url).rstrip("/")

    def leave(reservation_id: str) -> None:
        with app.sessions.begin() as session:
            res = _booking(session, site, reservation_id)
            res = session.get(Reservation, res.id, with_for_update=True) or res
            self_checkout.check_out(session, res, ledger=app.ledger, history=app.history, billing=app.billing,
                                    mail=ctx.mailer(base), now=app.clock())

    try:
        await run_in_threadpool(leave, _grant(request, ref))
    except DomainError as exc:
        return _problem(request, site, exc)
    return RedirectResponse(f"/guest/{site}/stay/{ref}/checkout?lang={lang}", status_code=303)


@router.post("/{site}/stay/{ref}/checkout/pay", response_model=None)
async def checkout_pay(request: Request, site: str, ref: str) -> Response:
    """What is owed at check-out, paid online through the same checkout and signed webhook."""
    lang = _language(request)
    app, ctx = services(request), context_of(request)
    base = ctx.settings.guestweb_public_url.rstrip("/") or str(request.base_url).rstrip("/")
    back = f"{base}/guest/{site}/stay/{ref}/checkout?lang={lang}"

    def ask(reservation_id: str) -> None:
        with app.sessions.begin() as session:
            res = _booking(session, site, reservation_id)
            res = session.get(Reservation, res.id, with_for_update=True) or res
            self_checkout.ask_balance(session, res, now=app.clock())

    try:
        reservation_id = _grant(request, ref)
        _limit(request, "pay", per=ctx.settings.guestweb_bookings_per_hour * 3, window_s=3600)
        await run_in_threadpool(ask, reservation_id)
        started = await run_in_threadpool(partial(
            start_checkout, app.sessions, ctx.checkout, reservation_id=reservation_id, now=app.clock(),
            success_url=back + "&paid=1", cancel_url=back, card_provider=app.billing.provider,
            mail=ctx.mailer(base)))
    except DomainError as exc:
        return _problem(request, site, exc)
    return RedirectResponse(started.url, status_code=303)


@router.post("/{site}/stay/{ref}/cancel", response_model=None)
async def cancel_submit(request: Request, site: str, ref: str) -> Response:
    """The guest cancels under the plan's terms; what was paid beyond the fee goes back to the card."""
    lang = _language(request)
    app, ctx = services(request), context_of(request)
    base = ctx.settings.guestweb_public_url.rstrip("/") or str(request.base_url).rstrip("/")

    def work(reservation_id: str) -> None:
        with app.sessions.begin() as session:
            _booking(session, site, reservation_id)
            res = session.get(Reservation, reservation_id, with_for_update=True)
            assert res is not None
            guest_cancel.cancel(session, res, ledger=app.ledger, provider=app.billing.provider,
                                mail=ctx.mailer(base), now=app.clock(), billing=app.billing.settings)

    try:
        await run_in_threadpool(work, _grant(request, ref))
    except DomainError as exc:
        return _problem(request, site, exc)
    return RedirectResponse(f"/guest/{site}/stay/{ref}?lang={lang}", status_code=303)
