"""The booking's common request answered without FastAPI's routing and parameter solving.

``POST /api/v1/properties/{site}/reservations`` is the most written request; FastAPI's route
matching, body parsing and dependency solving cost it a fifth of its interpreter time. This
middleware (innermost, beside ``availability_lane``: rate limits, load shedding, the body limit,
the origin and the headers still wrap it) reads a JSON body and validates it as the route
does (``json.loads``, then the route's own model in the same mode), and answers by the route's
own steps: the same principal and role check, the same Idempotency-Key, the same booking and
encoder, and a refusal by the app's own handler of it (the route's problem details). For a
credential this process has resolved, the principal is checked inside the booking's transaction
against the access stamp read as its first statement (as availability reads it with its own
first statement), so the request reads nothing on the event loop; a principal not in memory at
that read rolls the transaction back before it wrote anything and is resolved as the route does.

Anything else goes on to the route with the body as it came: another content type, a body that
does not parse or validate (the route's 422 names the fields), an Idempotency-Key FastAPI would
refuse, no credential. An unexpected error is not handed on (the booking may have been written):
it is raised, and the app answers it as it answers the route's.
"""

from __future__ import annotations

import inspect
import json
import re

from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloud.auth.deps import Unresolved, check_role, credential_key, current_principal, known_credential
from cloud.auth.roles import GUEST_DATA_ROLES
from cloud.reservations import api
from cloud.reservations.availability_lane import app_handler
from cloud.reservations.schemas import ReservationIn

PATH = re.compile(r"/api/v1/properties/([^/]+)/reservations")
MAX_BODY = 16 * 1024  # a booking's body is well under this; a longer one goes to the route
KEY_LENGTH = 255  # the route's ``IdempotencyKeyHeader``
_BODY = TypeAdapter(ReservationIn)  # as FastAPI validates the route's body


class BookingLane:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not scope.get("root_path"):
            found = PATH.fullmatch(scope["path"])
            if found is not None and _plain_headers(scope):
                read = await _read(receive)
                if read.body is not None:
                    answer = await self._answer(scope, found.group(1), read.body)
                    if answer is not None:
                        await answer(scope, read.replay, send)
                        return
                receive = read.replay  # the route reads the body as it came
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, site: str, raw: bytes) -> Response | None:
        body = parsed(raw)
        if body is None:
            return None
        # a scope of its own: the route, if it answers instead, starts from the request as it came
        request = Request({**scope, "state": dict(scope.get("state") or {}), "path_params": {"site": site}})
        if credential_key(request) is None:
            return None  # no credential: the route refuses it
        keys = [value for name, value in scope["headers"] if name == b"idempotency-key"]
        key = keys[0].decode("latin-1") if keys else None
        if key is not None and len(key) > KEY_LENGTH:
            return None  # the route's 422
        try:
            if known_credential(request):
                try:  # the principal checked in the booking's transaction, against its first read
                    return await api.book_answer(request, site, body, None, key)
                except Unresolved:
                    pass  # nothing was written: resolved as the route resolves it
            user = check_role(await current_principal(request), GUEST_DATA_ROLES)
            return await api.book_answer(request, site, body, user, key)
        except Exception as exc:  # a refusal: answered by the app's handler for it, as the route's
            handler = app_handler(scope, exc)
            if handler is None:
                raise  # unexpected: answered by the app as the route's would be, never run twice
            answered = handler(request, exc)
            return await answered if inspect.isawaitable(answered) else answered  # type: ignore[no-any-return]


def parsed(raw: bytes) -> ReservationIn | None:
    """The route's body as FastAPI reads it (``json.loads``, then the model from Python values),
    or None when it would not: the route then answers its 422."""
    try:
        value = json.loads(raw)
    except ValueError:  # JSONDecodeError, and bytes that are not text
        return None
    try:
        return _BODY.validate_python(value, from_attributes=True)
    except ValidationError:
        return None


def _plain_headers(scope: Scope) -> bool:
    """A JSON body of a declared length the lane reads whole (FastAPI reads other types too)."""
    length = kind = None
    for name, value in scope["headers"]:
        if name == b"content-length":
            if length is not None:
                return False
            length = value
        elif name == b"content-type":
            if kind is not None:
                return False
            kind = value
    return kind == b"application/json" and length is not None and length.isdigit() and int(length) <= MAX_BODY


class _Read:
    """The body read from ``receive``, and a ``receive`` that gives the route every message (or
    error) as it came, then the server's."""

    def __init__(self, receive: Receive) -> None:
        self.receive = receive
        self.came: list[Message | BaseException] = []
        self.body: bytes | None = None

    async def replay(self) -> Message:
        if self.came:
            first = self.came.pop(0)
            if isinstance(first, BaseException):
                raise first
            return first
        return await self.receive()


async def _read(receive: Receive) -> _Read:
    read, chunks = _Read(receive), []
    while True:
        try:
            message = await receive()
        except Exception as exc:  # e.g. the body limit: the route meets it where it came
            read.came.append(exc)
            return read
        read.came.append(message)
        if message["type"] != "http.request":
            return read  # the client left: the route sees it
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            read.body = b"".join(chunks)
            return read

