"""Stays and the guest registry (``cloud.guests``): guests checked at booking, stays recorded at check-out."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from cloud.catalog.models import Property
from cloud.guests.lifecycle import record_stay
from cloud.guests.models import Guest
from cloud.guests.settings import GuestSettings
from cloud.reservations.errors import InvalidRequest, UnknownResource
from cloud.reservations.models import Reservation


class StayHistory(Protocol):
    def record(self, session: Session, res: Reservation) -> None:
        """A completed stay joins the guest's history."""
        ...


class GuestHistory:
    """Records a checked-out stay on the guest's profile (stays, nights, spend, frequent tier)."""

    def __init__(self, settings: GuestSettings) -> None:
        self._settings = settings

    def record(self, session: Session, res: Reservation) -> None:
        if res.guest_id is None:
            return
        guest, prop = session.get(Guest, res.guest_id), session.get(Property, res.property_id)
        if guest is None or prop is None or guest.erased_at is not None:
            return
        record_stay(
            session,
            guest=guest,
            site=prop.slug,
            arrival=res.arrival,
            departure=res.departure,
            spend_minor=res.total_minor + res.late_checkout_fee_minor,
            currency=res.currency,
            settings=self._settings,
            reservation_id=res.id,
        )


def check_guest(session: Session, *, guest_id: str, site: str) -> Guest:
    """A reservation may only name a live guest of the same property."""
    guest = session.get(Guest, guest_id)
    if guest is None or guest.site != site:
        raise UnknownResource(f"no guest {guest_id} at {site}")
    if guest.erased_at is not None:
        raise InvalidRequest("this guest's data was erased; book without a guest id")
    if guest.merged_into is not None:
        raise InvalidRequest(f"this guest was merged into {guest.merged_into}; use that id")
    return guest
