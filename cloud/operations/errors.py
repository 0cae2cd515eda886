"""Errors of running the house, each an RFC 9457 problem."""

from __future__ import annotations

from cloud.core.errors import DomainError, NotFound


class InvalidOperation(DomainError):
    status = 422
    type_ = "/problems/operations/invalid-request"
    title = "Request refused"


class OperationConflict(DomainError):
    status = 409
    type_ = "/problems/operations/conflict"
    title = "Not possible in the current state"


class UnknownThing(NotFound):
    type_ = "/problems/operations/not-found"
