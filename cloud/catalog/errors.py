"""Domain errors of the property catalog (what a property sells), raised by every area that reads it."""

from __future__ import annotations

from cloud.core.errors import DomainError, NotFound


class InvalidRequest(DomainError):
    status = 422
    type_ = "/problems/reservations/invalid"
    title = "Invalid reservation request"


class UnknownResource(NotFound):
    type_ = "/problems/reservations/not-found"
