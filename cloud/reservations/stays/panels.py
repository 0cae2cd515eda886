"""The port through which other areas add a section to the stay page (cards add its keycards)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from cloud.catalog.models import Property
from cloud.reservations.models import Reservation


class StayPanel(Protocol):
    def __call__(self, db: Session, res: Reservation, prop: Property, *, now: datetime) -> dict[str, Any]:
        """The template context of one section of the stay page."""
        ...
