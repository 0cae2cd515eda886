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


class AccountLocked(DomainError):
    status = 423
    type_ = "/problems/account-locked"
    title = "Account locked"


class CsrfRejected(DomainError):
    status = 403
    type_ = "/problems/csrf"
    title = "Form expired or forged"


class InvalidAccount(DomainError):
    status = 422
    type_ = "/problems/invalid-account"
    title = "Invalid account"
