"""The survey page a guest opens from the link (in their language): scores and a comment."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from cloud.core.deps import services
from cloud.core.errors import DomainError
from cloud.core.templating import templates
from cloud.i18n.catalog import LANGUAGES
from cloud.i18n.jinja import current_lang
from cloud.loyalty.errors import SurveyNotFound
from cloud.loyalty.feedback.api import surveys_of
from cloud.loyalty.feedback.service import find
from cloud.loyalty.feedback.survey import DEPARTMENTS

router = APIRouter(prefix="/guest", include_in_schema=False)


def _language(request: Request) -> str:
    asked = request.query_params.get("lang")
    lang = asked if asked in LANGUAGES else getattr(request.state, "lang", "en")
    request.state.lang = lang
    current_lang.set(lang)
    return lang


def _page(request: Request, values: dict[str, Any], status: int = 200) -> Response:
    return templates.TemplateResponse(
        request, "loyalty/survey.html", {"departments": DEPARTMENTS, **values}, status_code=status
    )


@router.get("/{site}/survey/{token}", response_class=HTMLResponse)
async def survey_page(request: Request, site: str, token: str) -> Response:
    lang = _language(request)
    app = services(request)

    def load() -> bool:
        with app.sessions() as session:
            survey = find(session, token[:64])
            return survey.site == site[:63] and survey.answered_at is None

    try:
        open_ = await run_in_threadpool(load)
    except DomainError as exc:
        return _page(request, {"lang": lang, "error": exc.detail, "done": False, "site": site}, exc.status)
    return _page(request, {"lang": lang, "site": site, "token": token, "done": not open_, "error": ""})


@router.post("/{site}/survey/{token}", response_class=HTMLResponse)
async def survey_answer(request: Request, site: str, token: str) -> Response:
    lang = _language(request)
    app, desk = services(request), surveys_of(request)
    form = await request.form()
    scores = {d: str(form.get(d, ""))[:2] for d in DEPARTMENTS}
    comment = str(form.get("comment", ""))[:4000]

    def work() -> None:
        with app.sessions.begin() as session:
            if find(session, token[:64]).site != site[:63]:
                raise SurveyNotFound("no such survey")
            desk.answer(session, token=token[:64], scores=scores, comment=comment, now=app.clock())

    try:
        await run_in_threadpool(work)
    except DomainError as exc:
        values = {"lang": lang, "site": site, "token": token, "error": exc.detail, "done": False}
        return _page(request, values, exc.status)
    return _page(request, {"lang": lang, "site": site, "done": True, "error": ""})
