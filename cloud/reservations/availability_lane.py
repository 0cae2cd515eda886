"""Availability's common request answered without FastAPI's routing and parameter solving.

``GET /api/v1/properties/{site}/availability`` is the most requested read; FastAPI's route
matching, dependency solving and parameter validation cost it more than its own work. This
middleware (innermost: rate limits, load shedding, CSRF and the headers still wrap it) answers
a request whose parameters are all in their plain form (dates ``YYYY-MM-DD``, whole numbers in
range, each given once) by the route's own steps: the same principal and role check, the same
property check, the same search and encoder, and a refusal by the app's own handler of it (the
route's problem details). Anything else (a parameter FastAPI would coerce or refuse, no
credential, an unexpected error) goes on to the route unchanged, which answers it as always.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from cloud.auth.deps import credential_key
from cloud.core.responses import FastJSONResponse
from cloud.reservations import api

PATH = re.compile(r"/api/v1/properties/([^/]+)/availability")
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NUMBER = re.compile(r"[0-9]{1,2}")
KNOWN = frozenset({"arrival", "departure", "adults", "children", "room_type"})


def plain_parameters(query: str) -> dict[str, Any] | None:
    """The route's parameters when each is given at most once in the form FastAPI reads the same
    way (else None: the route validates them)."""
    given: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key in KNOWN:
            if key in given:
                return None
            given[key] = value
    arrival, departure = given.get("arrival"), given.get("departure")
    if arrival is None or departure is None or not DAY.fullmatch(arrival) or not DAY.fullmatch(departure):
        return None
    numbers = {}
    for key, low, default in (("adults", 1, 1), ("children", 0, 0)):
        text = given.get(key)
        if text is None:
            numbers[key] = default
            continue
        if not NUMBER.fullmatch(text) or not low <= int(text) <= 20:
            return None
        numbers[key] = int(text)
    room_type = given.get("room_type")
    if room_type is not None and len(room_type) > 32:
        return None
    try:
        return {"arrival": date.fromisoformat(arrival), "departure": date.fromisoformat(departure),
                "room_type": room_type, **numbers}
    except ValueError:
        return None


class AvailabilityLane:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            found = PATH.fullmatch(scope["path"])
            if found is not None:
                answer = await self._answer(scope, found.group(1))
                if answer is not None:
                    await answer(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, site: str) -> Response | None:
        params = plain_parameters(scope.get("query_string", b"").decode("latin-1"))
        if params is None:
            return None
        # a scope of its own: the route, if it answers instead, starts from the request as it came
        request = Request({**scope, "state": dict(scope.get("state") or {}), "path_params": {"site": site}})
        if credential_key(request) is None:
            return None  # no credential: the route refuses it
        try:
            reader = await api.reader_of(request)
            offers = await api.answer(request, site, reader, **params)
        except Exception as exc:  # a refusal: answered by the app's handler for it, as the route's
            handler = app_handler(scope, exc)
            if handler is None:
                return None  # an error: the route meets it again, and the app answers it as always
            answered = handler(request, exc)
            return await answered if inspect.isawaitable(answered) else answered  # type: ignore[no-any-return]
        return FastJSONResponse(offers)


def app_handler(scope: Scope, exc: Exception) -> Callable[..., Any] | None:
    """The app's handler of ``exc`` (by its classes, nearest first), as the routes meet it; not the
    catch-all of unexpected errors."""
    handlers = getattr(scope.get("app"), "exception_handlers", {})
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        if cls in handlers:
            found: Callable[..., Any] = handlers[cls]
            return found
    return None
