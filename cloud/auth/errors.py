"""Errors of staff access, mapped to RFC 9457 problems by the app's handler."""

from __future__ import annotations

from cloud.core.errors import DomainError


class NotAuthenticated(DomainError):
    status = 401
    type_ = "/problems/not-authenticated"
    title = "Not signed in"


class Forbidden(DomainError):
    status = 403
    type_ = "/problems/forbidden"
    title = "Forbidden"


class BadCredentials(DomainError):
    status = 401
    type_ = "/problems/bad-credentials"
    title = "Wrong username or password"


class SignInThrottled(DomainError):
    """Too many failed sign-ins lately (for the account or from the address): wait, then retry."""

    status = 429
    type_ = "/problems/sign-in-throttled"
    title = "Too many failed sign-ins"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class CsrfRejected(DomainError):
    status = 403
    type_ = "/problems/csrf"
    title = "Form expired or forged"


class InvalidAccount(DomainError):
    status = 422
    type_ = "/problems/invalid-account"
    title = "Invalid account"
