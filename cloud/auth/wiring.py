"""Installs staff access into an app: context, CSRF middleware, sign-in redirects."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import sessionmaker

from cloud.auth.context import AuthContext
from cloud.auth.csrf import CsrfMiddleware
from cloud.auth.errors import Forbidden, NotAuthenticated
from cloud.auth.headers import SecurityHeadersMiddleware
from cloud.auth.passwords import Passwords
from cloud.auth.settings import AuthSettings
from cloud.core.errors import problem

API_PREFIX = "/api/"


def install_auth(app: FastAPI, *, settings: AuthSettings, sessions: sessionmaker[Any],
                 csrf_exempt: tuple[str, ...] = (API_PREFIX,),
                 templates: Jinja2Templates | None = None) -> AuthContext:
    """Call once from the app factory, after the problem handlers."""
    ctx = AuthContext(settings=settings, passwords=Passwords(settings), sessionmaker=sessions)
    app.state.auth = ctx
    app.add_middleware(CsrfMiddleware, secret=settings.secret_key, exempt_prefixes=csrf_exempt,
                       secure=settings.cookie_secure)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_exception_handler(NotAuthenticated, _not_authenticated)
    if templates is not None:
        app.add_exception_handler(Forbidden, _forbidden_page(templates))
    return ctx


def _forbidden_page(templates: Jinja2Templates) -> Any:
    async def handler(request: Request, exc: Exception) -> Response:
        if wants_page(request):
            return templates.TemplateResponse(request, "auth/forbidden.html", {}, status_code=403)
        detail = getattr(exc, "detail", "forbidden")
        return problem(403, "Forbidden", detail, "/problems/forbidden", request.url.path)

    return handler


def wants_page(request: Request) -> bool:
    """A browser navigating the portal, as opposed to an API client."""
    return not request.url.path.startswith(API_PREFIX) and request.method in ("GET", "HEAD")


async def _not_authenticated(request: Request, exc: Exception) -> Response:
    if wants_page(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)
    detail = str(exc) or "sign in first"
    response: JSONResponse = problem(401, "Not signed in", detail, "/problems/not-authenticated",
                                     request.url.path)
    response.headers["WWW-Authenticate"] = 'Bearer realm="posada"'
    return response
