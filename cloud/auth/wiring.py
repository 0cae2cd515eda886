"""Installs staff access into an app: CSRF middleware, sign-in redirects, its routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import sessionmaker

from cloud.auth import api, audit_routes, pages, staff_pages
from cloud.auth.context import AuthContext
from cloud.auth.csrf import CsrfMiddleware
from cloud.auth.errors import Forbidden, NotAuthenticated
from cloud.auth.headers import SecurityHeadersMiddleware
from cloud.auth.passwords import Passwords
from cloud.auth.settings import AuthSettings
from cloud.core.fast_reads import FastReads
from cloud.core.problems import problem

if TYPE_CHECKING:
    from cloud.services import Services

API_PREFIX = "/api/"


def build_auth(settings: AuthSettings, sessions: sessionmaker[Any], reads: FastReads) -> AuthContext:
    return AuthContext(settings=settings, passwords=Passwords(settings), sessionmaker=sessions, reads=reads)


def install(app: FastAPI, services: Services, *, templates: Jinja2Templates,
            csrf_exempt: tuple[str, ...] = (API_PREFIX,)) -> None:
    """Call once from the app factory, after the problem handlers."""
    settings = services.auth.settings
    app.add_middleware(CsrfMiddleware, secret=settings.secret_key, exempt_prefixes=csrf_exempt,
                       secure=settings.cookie_secure)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_exception_handler(NotAuthenticated, _not_authenticated)
    app.add_exception_handler(Forbidden, _forbidden_page(templates))
    app.include_router(api.router)  # tokens and ``/api/v1/auth/me``: the pages follow (``install_pages``)


def install_pages(app: FastAPI, services: Services) -> None:
    """Sign-in, staff and audit pages and the audit API, after ``install`` (the app factory puts
    the most requested API routes between them)."""
    for router in (pages.router, staff_pages.router, audit_routes.api, audit_routes.pages):
        app.include_router(router)


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
