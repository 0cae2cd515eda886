"""CSRF protection for every cookie-authenticated or portal form post (pure ASGI middleware).

The token is an HMAC of the visitor's session cookie (or, before sign-in, of a random
anonymous cookie), so it cannot be guessed cross-site and dies with the session. Bearer
token requests carry no ambient credentials and are exempt; so are cookie-less posts under
the exempt prefixes (API clients, provider webhooks).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request, cookie_parser
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloud.auth.context import ANON_COOKIE, CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE
from cloud.auth.tokens import csrf_for, csrf_ok

SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_FORM_BYTES = 2 * 1024 * 1024


class CsrfMiddleware:
    def __init__(self, app: ASGIApp, *, secret: str, exempt_prefixes: Sequence[str] = ("/api/",),
                 secure: str = "auto") -> None:
        self.app, self.secret, self.exempt, self.secure = app, secret, tuple(exempt_prefixes), secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if _api_client(scope, headers, self.exempt):
            await self.app(scope, receive, send)  # no cookie to bind to, no form: nothing to do
            return
        cookies = _cookies(headers.get("cookie", ""))
        binding = cookies.get(SESSION_COOKIE) or cookies.get(ANON_COOKIE)
        new_anon = None if binding else secrets.token_urlsafe(32)
        binding = binding or new_anon
        assert binding is not None
        scope.setdefault("state", {})["csrf_token"] = csrf_for(binding, secret=self.secret)
        if scope["method"] not in SAFE and self._enforced(scope, headers, cookies):
            body, candidate = None, headers.get(CSRF_HEADER)
            if not candidate:  # only then is the body read (a form's hidden field), and replayed
                body, candidate = await _form_candidate(headers, receive)
            if not csrf_ok(candidate, binding=None if new_anon else binding, secret=self.secret):
                response = JSONResponse(
                    {"type": "/problems/csrf", "title": "Form expired or forged", "status": 403,
                     "detail": "the form's security token is missing or wrong; reload the page"},
                    status_code=403, media_type="application/problem+json")
                await response(scope, receive, send)
                return
            if body is not None:
                receive = _replay(body)
        await self.app(scope, receive, self._with_anon(send, new_anon, scope))

    def _enforced(self, scope: Scope, headers: Headers, cookies: dict[str, str]) -> bool:
        if headers.get("authorization", "").lower().startswith("bearer "):
            return False
        return SESSION_COOKIE in cookies or not str(scope["path"]).startswith(self.exempt)

    def _with_anon(self, send: Send, anon: str | None, scope: Scope) -> Send:
        if anon is None:
            return send
        secure = self.secure == "always" or (self.secure == "auto" and scope.get("scheme") == "https")
        cookie = f"{ANON_COOKIE}={anon}; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"set-cookie", cookie.encode("latin-1")))
            await send(message)

        return sending


def _api_client(scope: Scope, headers: Headers, exempt: tuple[str, ...]) -> bool:
    """A bearer-token call to the API without cookies: an API client, never a browser form."""
    return ("cookie" not in headers and str(scope["path"]).startswith(exempt)
            and headers.get("authorization", "").lower().startswith("bearer "))


def _cookies(header: str) -> dict[str, str]:
    return cookie_parser(header)


async def _form_candidate(headers: Headers, receive: Receive) -> tuple[bytes | None, str | None]:
    """The token from a form body, which is read (up to a limit) and kept for replay."""
    if not headers.get("content-type", "").startswith(FORM_TYPES):
        return None, None
    body = await _read_body(receive)
    if body is None:
        return b"", None  # too large to be a portal form: refused
    request = Request({"type": "http", "method": "POST", "headers": headers.raw}, _replay(body))
    try:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        await form.close()
    except Exception:  # an unparseable form carries no valid token
        return body, None
    return body, value if isinstance(value, str) else None


async def _read_body(receive: Receive) -> Any:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= MAX_FORM_BYTES:
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks) if size <= MAX_FORM_BYTES else None


def _replay(body: bytes | None) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body or b"", "more_body": False}

    return receive
