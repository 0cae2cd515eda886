"""A booked slot as a door pass: a guest card whose only area is the facility's door and whose
validity window is the slot, so a gateway decides it offline with the checks it already has
(docs/card-format.md: the area bit at an area door, then valid-from/valid-until)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Protocol

from cloud.cards.signing import CardRequest
from mqtt.keycard import ALL_FLOORS, Area, Kind, format_credential_id

AREA_BITS = {
    "pool": Area.POOL,
    "gym": Area.GYM,
    "spa": Area.SPA,
    "lounge": Area.LOUNGE,
    "business_centre": Area.BUSINESS_CENTRE,
}


class PassSigner(Protocol):
    def sign(self, request: CardRequest, *, now: datetime) -> str:
        """The signed card, base64url-encoded."""
        ...


def pass_request(*, site_number: int, area: str, start: datetime, end: datetime) -> CardRequest:
    """Guest 1 of sequence 1, no rooms (so no room's sequence is raised or checked), one area bit."""
    return CardRequest(
        kind=Kind.GUEST,
        credential_id=secrets.randbits(63) or 1,
        site=site_number,
        valid_from=start,
        valid_until=end,
        sequence=1,
        guest=1,
        floor=ALL_FLOORS,
        areas=AREA_BITS[area],
    )


def credential_text(request: CardRequest) -> str:
    return format_credential_id(request.credential_id)
