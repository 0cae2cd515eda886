"""RFC 9457 problem details: every error answered as ``application/problem+json``.

Domain errors carry their own type; HTTP errors of the framework (404, 405, 413, ...) are
``about:blank`` with the status's phrase; anything unexpected is a plain 500 whose body says
nothing of the cause (no stack, no database text) and names an incident id that the log holds.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from cloud.core.errors import DomainError
from mqtt.envelope import new_id

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"


def problem(status: int, title: str, detail: str, type_: str = "about:blank",
            instance: str | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        response = problem(exc.status, exc.title, exc.detail, exc.type_, request.url.path, **exc.extra)
        response.headers.update(getattr(exc, "headers", None) or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        return problem(422, "Invalid request", "the request did not validate",
                       "/problems/validation", request.url.path, errors=errors)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        title = phrase(exc.status_code)
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else title.lower()
        response = problem(exc.status_code, title, detail, "about:blank", request.url.path)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        """A value the database refuses whatever the schema says (PostgreSQL: text with a NUL
        character, a number out of its column's range): the client's input, not our fault."""
        log.info("refused input on %s %s: %s", request.method, request.url.path, type(exc.orig).__name__)
        return problem(422, "Invalid request", "a value cannot be stored: text must not contain NUL "
                       "characters and numbers must fit their field", "/problems/validation",
                       request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        incident = new_id()
        log.error("unexpected error %s on %s %s", incident, request.method, request.url.path,
                  exc_info=exc)
        return problem(500, "Internal Server Error", "an unexpected error occurred; it has been logged",
                       "about:blank", request.url.path, incident=incident)
