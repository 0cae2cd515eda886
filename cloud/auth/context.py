"""What the auth dependencies need at request time: the app's ``Services.auth``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy.orm import sessionmaker

from cloud.auth.passwords import Passwords
from cloud.auth.principal_cache import PrincipalCache
from cloud.auth.settings import AuthSettings
from cloud.auth.unlock_link import UnlockMailer
from cloud.core.deps import services
from cloud.core.fast_reads import FastReads

SESSION_COOKIE = "posada_session"
ANON_COOKIE = "posada_anon"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass
class AuthContext:
    settings: AuthSettings
    passwords: Passwords
    sessionmaker: sessionmaker[Any]
    reads: FastReads  # the access stamp, read on every request
    principals: PrincipalCache = field(default_factory=PrincipalCache)
    mailer: UnlockMailer | None = None  # sends unlock links (notify's e-mail); None: none are sent


def auth_context(request: Request) -> AuthContext:
    return services(request).auth


def cookie_secure(request: Request, settings: AuthSettings) -> bool:
    if settings.cookie_secure == "auto":
        return request.url.scheme == "https"
    return settings.cookie_secure == "always"
