"""The desk's pages served by the node on the hotel's network, from its replica: arrivals and
check-in (booked and walk-in), guests in house with room move, charges, cash and terminal
payments, card encoding and check-out, under the sync banner. The portal's own layout, styles, sign-in
form and message catalogs; staff sign in with their own cloud accounts under the cloud's
session rules (``node/signin.py``), and every form carries a token bound to the session.

A refused operation shows the page again with the reason; nothing is recorded for it. (No
``from __future__ import annotations`` here: the routes' dependencies are local aliases.)
"""

import base64
import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from cloud.billing.desk_messages import message
from cloud.core.http import outbound_client
from cloud.core.money import Money, MoneyError
from cloud.core.nights import local_today
from cloud.core.templating import TEMPLATES
from cloud.i18n.catalog import LANGUAGES
from cloud.i18n.jinja import LANG_COOKIE, gettext, install_i18n
from cloud.i18n.labels import N_
from cloud.node.advice import RULES
from cloud.node.seal import GuestData
from mqtt.envelope import new_id
from node.app import NoInvoiceSeries, NoSealKey
from node.desk import DeskError
from node.desk_reasons import REASONS
from node.front_desk import CHARGE_KINDS, EncodedCard, FrontDesk
from node.keys import NoDelegation
from node.portal_pages import FORM_KEY, portal_router
from node.registration import RegistrationRefused, public_keys, register
from node.signin import DeskSignIn, SignInRefused

HERE = Path(__file__).resolve().parent
Slug = Annotated[str, Form(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Amount = Annotated[str, Form(max_length=20)]
Key = Annotated[str, Form(max_length=32)]  # the form's one-time key (``key_field``)


@dataclass(frozen=True, slots=True)
class DeskZone:
    """What the portal's templates read of the signed-in account at the node: its time zone."""

    time_zone: str


SESSION_COOKIE = "posada_node_session"
ANON_COOKIE = "posada_node_anon"  # binds the sign-in form's token before there is a session


def build_desk_app(
    desk: FrontDesk, *, signin: DeskSignIn | None = None, cloud: Callable[[], httpx.Client] | None = None
) -> FastAPI:
    """The node's desk as an ASGI app (``posada property-node`` serves it with uvicorn). Staff
    sign in with their own accounts, as the replica names them (``node/signin.py``). ``cloud``
    makes a client of the cloud's API (its base URL set), for registering the node's keys from
    the ``/keys`` page; by default one to ``POSADA_NODE_CLOUD_URL``."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(HERE / "templates"), FileSystemLoader(TEMPLATES)]),
        autoescape=select_autoescape(),
    )
    templates = Jinja2Templates(env=env)
    secret = desk.node.sessions.secret()  # kept with the sessions: a restart ends neither
    app = FastAPI(title="Posada desk (property node)", openapi_url=None, docs_url=None, redoc_url=None)
    app.mount("/static", StaticFiles(directory=TEMPLATES.parent / "static"), name="static")
    app.include_router(_router(desk, templates, signin=signin or DeskSignIn(desk.node), secret=secret))
    app.include_router(_keys_router(desk, templates, secret=secret, cloud=cloud or _cloud_client(desk)))
    install_i18n(app, templates)
    return app


def _router(desk: FrontDesk, templates: Jinja2Templates, *, signin: DeskSignIn, secret: bytes) -> APIRouter:
    node = desk.node

    def staff(request: Request) -> str:
        token = request.cookies.get(SESSION_COOKIE, "")
        who = signin.resolve(token, now=datetime.now(UTC)) if token else None
        if who is None:
            if request.method == "GET":
                raise HTTPException(303, "sign in first", headers={"Location": "/signin"})
            raise HTTPException(401, "sign in first: your session ended")
        request.state.csrf_token = hmac.new(
            secret, b"session\x00" + token.encode(), hashlib.sha256
        ).hexdigest()
        request.state.staff = who
        # the portal's templates show times in the signed-in account's zone: here, the property's
        request.state.principal = DeskZone(node.settings.time_zone)
        return who.username

    Staff = Annotated[str, Depends(staff)]

    async def checked(request: Request, user: Staff) -> str:
        form = await request.form()
        if not hmac.compare_digest(str(form.get("csrf_token", "")), request.state.csrf_token):
            raise HTTPException(403, "the form is stale or not from this desk: open the page again")
        return user

    def anonymous(request: Request) -> str:
        """The sign-in form's token, bound to a cookie of this browser."""
        anon = request.cookies.get(ANON_COOKIE, "")
        if not (
            16 <= len(anon) <= 64 and anon.isascii() and anon.replace("-", "").replace("_", "").isalnum()
        ):
            anon = secrets.token_urlsafe(24)
        request.state.anon = anon
        request.state.csrf_token = hmac.new(secret, b"anon\x00" + anon.encode(), hashlib.sha256).hexdigest()
        return anon

    Poster = Annotated[str, Depends(checked)]
    router = APIRouter()

    def today() -> Any:
        return local_today(datetime.now(UTC), node.settings.time_zone)

    def key_field() -> Markup:
        """A recording form's one-time key: sent twice (a double click), it is done once."""
        return Markup('<input type="hidden" name="key" value="{}">').format(new_id())

    once = threading.Lock()  # a form's claim and its work, one form at a time: a double click
    # waits for the first to finish and then sees it done (or, refused, its key released)

    def common(request: Request) -> dict[str, Any]:
        """What every desk page shows around its content: the sync banner, who is signed in."""
        lang = getattr(request.state, "lang", "en")
        return {
            "sync": node.banner(tag=lang),
            "sync_note": node.replica_note(tag=lang),
            "staff": request.state.staff,
            "time_zone": node.settings.time_zone,
            "key_field": key_field,
        }

    def page(
        request: Request,
        *,
        error: str = "",
        detail: str = "",
        done: str = "",
        card: EncodedCard | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        view = desk.view(today=today())
        replica = node.status.replica()
        guests = {}
        if view is not None:
            guests = {
                s.reservation_id: node.guest(s.reservation_id, s.guest_sealed)
                for s in view.arrivals + view.in_house
            }
        return templates.TemplateResponse(
            request,
            "node/desk.html",
            {
                **common(request),
                "active": "desk",
                "view": view,
                "guests": guests,
                "error": error or detail,
                "detail": detail if error else "",
                "done": done,
                "card": base64.b64encode(card.data).decode() if card else "",
                "card_uid": card.uid if card else None,
                "kinds": CHARGE_KINDS,
                "plans": replica.pricing.plans if replica is not None else [],
                "rates": replica.rates if replica is not None else [],
                "conflicts": node.status.conflicts(),
                "rules": RULES,
                "site": node.settings.site,
                "one_day": timedelta(days=1),
            },
            status_code=status,
        )

    def act(request: Request, key: str, work: Callable[[], object], done: str) -> Response:
        if not FORM_KEY.fullmatch(key):  # a page from before the forms carried keys, or forged
            return page(request, error=message("repeated"), status=422)
        error, detail, result = "", "", None
        with once:
            if not node.sessions.claim_form(key, at=datetime.now(UTC)):
                return RedirectResponse(f"/?done={done}", status_code=303)  # sent twice: done once
            try:
                result = work()
            except DeskError as exc:
                error, detail = (gettext(REASONS[exc.reason]) if exc.reason in REASONS else ""), str(exc)
            except (NoDelegation, NoInvoiceSeries, NoSealKey, MoneyError, ValueError) as exc:
                error = str(exc)
            if error or detail:
                node.sessions.release_form(key)  # refused: corrected and sent again, it is done once
        if error or detail:
            return page(request, error=error, detail=detail, status=409)
        if isinstance(result, EncodedCard):
            return page(request, done=done, card=result)
        return RedirectResponse(f"/?done={done}", status_code=303)

    def signin_page(request: Request, *, error: str = "", username: str = "", status: int = 200) -> Response:
        page = templates.TemplateResponse(
            request,
            "auth/signin.html",
            {"next": "/", "error": error, "username": username, "throttled": False},
            status_code=status,
        )
        page.set_cookie(
            ANON_COOKIE, request.state.anon, httponly=True, samesite="strict", secure=_https(request)
        )
        return page

    @router.get("/signin", response_class=HTMLResponse)
    def signin_form(request: Request, anon: Annotated[str, Depends(anonymous)]) -> Response:
        return signin_page(request)

    @router.post("/signin", response_model=None)
    def signin_post(
        request: Request,
        anon: Annotated[str, Depends(anonymous)],
        username: Annotated[str, Form(max_length=200)],
        password: Annotated[str, Form(max_length=1024)],
        csrf_token: Annotated[str, Form(max_length=128)] = "",
    ) -> Response:
        if not hmac.compare_digest(csrf_token, request.state.csrf_token):
            raise HTTPException(403, "the form is stale or not from this desk: open the page again")
        address = request.client.host if request.client else ""
        result = signin.sign_in(username, password, now=datetime.now(UTC), address=address)
        if isinstance(result, SignInRefused):
            if result.reason == "throttled":
                said = gettext("Too many failed sign-ins. Try again in %(seconds)s seconds.") % {
                    "seconds": result.retry_after
                }
                page = signin_page(request, error=said, username=username[:64], status=429)
                page.headers["Retry-After"] = str(result.retry_after)
                return page
            said = (
                gettext("Wrong username or password.")
                if result.reason == "bad_credentials"
                else gettext("Nobody can sign in here until the cloud has sent this node its staff.")
            )
            return signin_page(request, error=said, username=username[:64], status=401)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            SESSION_COOKIE, result, httponly=True, samesite="lax", path="/", secure=_https(request)
        )
        return response

    @router.post("/signout")
    def signout(request: Request, user: Poster) -> Response:
        signin.sign_out(request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @router.post("/lang")
    def language_form(
        lang: Annotated[str, Form(max_length=8)], next: Annotated[str, Form(max_length=200)] = "/"
    ) -> Response:
        target = next if next in ("/", "/signin", "/keys") or SAME_DESK.fullmatch(next) else "/"
        response = RedirectResponse(target, status_code=303)
        if lang in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, samesite="lax", httponly=True)
        return response

    @router.get("/", response_class=HTMLResponse)
    def desk_page(request: Request, user: Staff, done: str = "", error: str = "") -> HTMLResponse:
        said = gettext(REASONS[error]) if error in REASONS else ""  # a refusal from another page
        if error == "repeated":  # the today page's form came without its one-time key
            said = message("repeated")
        return page(request, done=done if done in DONE else "", error=said)

    @router.get("/lang/{code}")
    def language(code: str, user: Staff) -> Response:
        response = RedirectResponse("/", status_code=303)
        if code in LANGUAGES:
            response.set_cookie(LANG_COOKIE, code, samesite="lax", httponly=True)
        return response

    @router.post("/arrivals/{res}/check-in")
    def check_in(request: Request, user: Poster, res: str, room: Slug, key: Key = "") -> Response:
        return act(
            request, key, lambda: desk.check_in(res, room=room, staff=user, today=today()), "checked_in"
        )

    @router.post("/walk-in")
    def walk_in(
        request: Request,
        user: Poster,
        room: Slug,
        name: Annotated[str, Form(max_length=200)],
        nights: Annotated[int, Form(ge=1, le=60)],
        rate: Amount = "",
        plan: Annotated[str, Form(pattern=r"^([A-Za-z0-9_~-]{1,32})?$")] = "",
        email: Annotated[str, Form(max_length=254)] = "",
        phone: Annotated[str, Form(max_length=40)] = "",
        key: Key = "",
    ) -> Response:
        def work() -> object:
            currency = _currency(desk, today())
            return desk.walk_in(
                GuestData(name=name, email=email, phone=phone),
                room=room,
                nights=nights,
                rate_plan=plan,
                rate_minor=_minor(rate, currency) if rate.strip() else None,
                currency=currency,
                staff=user,
                today=today(),
            )

        return act(request, key, work, "checked_in")

    @router.post("/stays/{res}/move")
    def move(request: Request, user: Poster, res: str, room: Slug, key: Key = "") -> Response:
        return act(request, key, lambda: desk.move(res, to_room=room, staff=user, today=today()), "moved")

    @router.post("/stays/{res}/charge")
    def charge(
        request: Request,
        user: Poster,
        res: str,
        kind: Annotated[str, Form(max_length=32)],
        amount: Amount,
        description: Annotated[str, Form(max_length=200)] = "",
        quantity: Annotated[int, Form(ge=1, le=100)] = 1,
        key: Key = "",
    ) -> Response:
        def work() -> None:
            desk.charge(
                res,
                kind=kind,
                description=description,
                quantity=quantity,
                staff=user,
                amount_minor=_minor(amount, _currency(desk, today())),
                today=today(),
            )

        return act(request, key, work, "charged")

    @router.post("/stays/{res}/payment")
    def payment(
        request: Request,
        user: Poster,
        res: str,
        method: Annotated[str, Form(max_length=16)],
        amount: Amount,
        key: Key = "",
    ) -> Response:
        def work() -> None:
            minor = _minor(amount, _currency(desk, today()))
            if minor <= 0:
                raise DeskError("amount", "a payment is more than zero")
            desk.payment(res, method=method, amount_minor=minor, staff=user, today=today())

        return act(request, key, work, "paid")

    @router.post("/stays/{res}/card")
    def card(request: Request, user: Poster, res: str, key: Key = "") -> Response:
        return act(request, key, lambda: desk.encode_card(res, staff=user, today=today()), "card")

    @router.post("/stays/{res}/check-out")
    def check_out(request: Request, user: Poster, res: str, key: Key = "") -> Response:
        return act(request, key, lambda: desk.check_out(res, staff=user, today=today()), "checked_out")

    router.include_router(
        portal_router(desk, templates, staff=staff, checked=checked, today=today, common=common)
    )
    return router


SAME_DESK = re.compile(r"/reservations(/[0-9A-Za-z_-]{1,64}(/checkout)?)?")  # where /lang may return
MAX_MINOR = 100_000_000  # a million in two-decimal currencies
DONE = ("checked_in", "moved", "charged", "paid", "card", "checked_out")


def _cloud_client(desk: FrontDesk) -> Callable[[], httpx.Client] | None:
    url = desk.node.settings.cloud_url
    if not url:
        return None

    def make() -> httpx.Client:
        client = outbound_client(timeout_s=15)
        client.base_url = httpx.URL(url)
        return client

    return make


REFUSALS = {
    "bad_credentials": N_("Wrong username or password."),
    "throttled": N_("Too many failed sign-ins: wait a moment and try again."),
    "not_manager": N_("Only a manager of this property (or of its chain) registers a node's keys."),
    "key_in_force": N_("The cloud holds another key for this node: retire it in the cloud first."),
    "invalid": N_("The cloud refused the keys as they are."),
    "unreachable": N_("The cloud cannot be reached from this node."),
    "refused": N_("The cloud did not register the keys."),
}


def _keys_router(
    desk: FrontDesk, templates: Jinja2Templates, *, secret: bytes, cloud: Callable[[], httpx.Client] | None
) -> APIRouter:
    """``/keys``: the node's public keys, the delegation it holds, and the form a manager
    registers them with (their cloud account; no session here is needed, the cloud checks it)."""
    node = desk.node
    router = APIRouter()

    def token(request: Request) -> str:
        anon = request.cookies.get(ANON_COOKIE, "")
        if not (16 <= len(anon) <= 64 and anon.replace("-", "").replace("_", "").isascii()):
            anon = secrets.token_urlsafe(24)
        request.state.anon = anon
        request.state.csrf_token = hmac.new(secret, b"keys\x00" + anon.encode(), hashlib.sha256).hexdigest()
        return anon

    Anonymous = Annotated[str, Depends(token)]

    def page(
        request: Request, *, error: str = "", detail: str = "", done: str = "", status: int = 200
    ) -> Response:
        card, seal = public_keys(node)
        answer = templates.TemplateResponse(
            request,
            "node/keys.html",
            {
                "site": node.settings.site,
                "node": node.settings.node,
                "card_key": card,
                "seal_key": seal,
                "delegation": node.status.delegation(),
                "cloud": bool(cloud),
                "error": error,
                "detail": detail,
                "done": done,
            },
            status_code=status,
        )
        answer.set_cookie(
            ANON_COOKIE, request.state.anon, httponly=True, samesite="strict", secure=_https(request)
        )
        return answer

    @router.get("/keys", response_class=HTMLResponse)
    def keys_page(request: Request, anon: Anonymous) -> Response:
        return page(request)

    @router.post("/keys", response_model=None)
    def keys_register(
        request: Request,
        anon: Anonymous,
        username: Annotated[str, Form(max_length=200)],
        password: Annotated[str, Form(max_length=1024)],
        key_id: Annotated[str, Form(pattern=r"^[0-9A-Fa-f]{4}$")] = "F001",
        csrf_token: Annotated[str, Form(max_length=128)] = "",
    ) -> Response:
        if not hmac.compare_digest(csrf_token, request.state.csrf_token):
            raise HTTPException(403, "the form is stale or not from this node: open the page again")
        if cloud is None:
            return page(
                request, error=gettext(REFUSALS["unreachable"]), detail="POSADA_NODE_CLOUD_URL", status=409
            )
        client = cloud()
        try:
            done = register(node, client, username=username, password=password, key_id=int(key_id, 16))
        except RegistrationRefused as exc:
            return page(request, error=gettext(REFUSALS[exc.reason]), detail=exc.detail, status=409)
        finally:
            client.close()
        return page(request, done=f"{done.key_id:04X}")

    return router


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


def _currency(desk: FrontDesk, today: Any) -> str:
    replica = desk.node.status.replica()
    rates = replica.rates if replica is not None else []
    return rates[0].currency if rates else (replica.stays[0].currency if replica and replica.stays else "EUR")


def _minor(amount: str, currency: str) -> int:
    minor = Money.parse(amount.strip().replace(",", "."), currency).minor
    if abs(minor) > MAX_MINOR:
        raise MoneyError(f"{amount!r} is more than the desk takes at once")
    return minor
