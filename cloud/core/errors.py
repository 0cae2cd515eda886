"""The domain's errors: one base that every area subclasses with its status and problem type."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every domain error; areas subclass it with their status and type."""

    status: int = 400
    type_: str = "about:blank"
    title: str = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra
        self.headers: dict[str, str] = {}  # sent with the problem (Retry-After, ...)


class NotFound(DomainError):
    status = 404
    type_ = "/problems/not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    type_ = "/problems/conflict"
    title = "Conflict"
