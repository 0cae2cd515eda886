"""Errors of the guest registry."""

from __future__ import annotations

from cloud.core.errors import Conflict, DomainError, NotFound


class GuestNotFound(NotFound):
    type_ = "/problems/guest-not-found"
    title = "Guest not found"


class InvalidGuest(DomainError):
    status = 422
    type_ = "/problems/invalid-guest"
    title = "Invalid guest data"


class GuestErased(Conflict):
    type_ = "/problems/guest-erased"
    title = "Guest data erased"

