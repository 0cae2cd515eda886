"""The guest's side of marketing: the unsubscribe page and the pixel that counts an opened email."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import update
from starlette.concurrency import run_in_threadpool

from cloud.core.deps import services
from cloud.core.templating import templates
from cloud.i18n.catalog import LANGUAGES
from cloud.i18n.jinja import current_lang
from cloud.marketing import consent
from cloud.marketing.models import Send
from cloud.marketing.unsubscribe import BadUnsubscribe, UnsubscribeSigner

router = APIRouter(prefix="/guest", include_in_schema=False)
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _page(request: Request, ref: str, *, state: str, status: int = 200) -> Response:
    asked = request.query_params.get("lang")
    lang = asked if asked in LANGUAGES else getattr(request.state, "lang", "en")
    request.state.lang = lang
    current_lang.set(lang)
    return templates.TemplateResponse(
        request, "marketing/unsubscribe.html", {"lang": lang, "ref": ref, "state": state}, status_code=status
    )


@router.get("/unsubscribe/{ref}", response_class=HTMLResponse)
async def unsubscribe_page(request: Request, ref: str) -> Response:
    try:
        UnsubscribeSigner(services(request).settings.secret_key).verify(ref[:64])
    except BadUnsubscribe:
        return _page(request, "", state="bad", status=404)
    return _page(request, ref, state="ask")


@router.post("/unsubscribe/{ref}", response_class=HTMLResponse)
async def unsubscribe(request: Request, ref: str) -> Response:
    """The page's button and a mail client's one-click (RFC 8058) alike: stopped at once."""
    app = services(request)
    try:
        guest_id = UnsubscribeSigner(app.settings.secret_key).verify(ref[:64])
    except BadUnsubscribe:
        return _page(request, "", state="bad", status=404)

    def work() -> None:
        with app.sessions.begin() as session:
            consent.unsubscribe(session, guest_id=guest_id, now=app.clock())

    await run_in_threadpool(work)
    return _page(request, ref, state="done")


@router.get("/m/{send_id}.gif")
async def opened(request: Request, send_id: str) -> Response:
    """A 1x1 image in the campaign email: its first load marks the message opened."""
    app = services(request)

    def work() -> None:
        with app.sessions.begin() as session:
            session.execute(
                update(Send)
                .where(Send.id == send_id[:26], Send.opened_at.is_(None))
                .values(opened_at=app.clock())
            )

    await run_in_threadpool(work)
    return Response(PIXEL, media_type="image/gif", headers={"cache-control": "no-store"})
