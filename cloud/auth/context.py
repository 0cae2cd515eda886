"""What the auth dependencies need at request time, kept on ``app.state.auth``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy.orm import sessionmaker

from cloud.auth.passwords import Passwords
from cloud.auth.settings import AuthSettings

SESSION_COOKIE = "posada_session"
ANON_COOKIE = "posada_anon"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass
class AuthContext:
    settings: AuthSettings
    passwords: Passwords
    sessionmaker: sessionmaker[Any]


def auth_context(request: Request) -> AuthContext:
    ctx = getattr(request.app.state, "auth", None)
    if not isinstance(ctx, AuthContext):
        raise RuntimeError("cloud.auth.wiring.install_auth(app, ...) was not called")
    return ctx


def cookie_secure(request: Request, settings: AuthSettings) -> bool:
    if settings.cookie_secure == "auto":
        return request.url.scheme == "https"
    return settings.cookie_secure == "always"
