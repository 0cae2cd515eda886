"""The port through which a booking finds its guest's profile (the loyalty area implements it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from cloud.core.deps import services

if TYPE_CHECKING:
    from cloud.reservations.sales.booking import Booking


class GuestMatcher(Protocol):
    def attach(self, session: Session, request: Booking) -> Booking:
        """The request with ``guest_id`` set: a matching profile's, or a new one's."""
        ...


def guest_matcher(request: Request) -> GuestMatcher | None:
    return services(request).matcher


async def _matcher(request: Request) -> GuestMatcher | None:
    return guest_matcher(request)


MatcherDep = Annotated["GuestMatcher | None", Depends(_matcher)]
