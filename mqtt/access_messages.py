"""Commands for the gateway's keycard keys (``key.upsert``, ``key.retire``, ``key.delegate``),
registered into the contract at import. Credential upsert/revoke live in ``mqtt.messages``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from mqtt.messages import Data, Instant, register_command

B64URL = r"^[A-Za-z0-9_-]+={0,2}$"


class KeyUpsert(Data):
    """A public key gateways accept card signatures from (raw Ed25519, base64url)."""

    key_id: int = Field(ge=0, le=0xFFFF)
    public_key: str = Field(min_length=43, max_length=44, pattern=B64URL)
    retired_at: Instant | None = None


class KeyDelegate(Data):
    """A sub-key the property key vouches for: gateways accept cards it signs within
    [valid_from, valid_until) (see mqtt/delegation.py for the signed bytes)."""

    key_id: int = Field(ge=0xF000, le=0xFFFF)
    parent_key_id: int = Field(ge=0, lt=0xF000)
    site: int = Field(ge=0, le=0xFFFF)
    holder: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    public_key: str = Field(min_length=43, max_length=44, pattern=B64URL)
    valid_from: Instant
    valid_until: Instant
    signature: str = Field(min_length=86, max_length=88, pattern=B64URL)


class KeyRetire(Data):
    """From ``at`` on, cards signed with this key are refused."""

    key_id: int = Field(ge=0, le=0xFFFF)
    at: Instant


class FacilitySlot(Data):
    """A booked slot of a facility that opens by booking (pool, spa, ...): from ``start`` to ``end``
    the stay's own cards (those listing ``room`` on ``floor``) open the ``area`` door; ``cancelled``
    takes the slot back. Keyed by ``booking_id``, so a repeat replaces it."""

    booking_id: str = Field(pattern=r"^[0-9A-Za-z]{1,64}$")
    area: Literal["pool", "gym", "spa", "lounge", "business_centre"]
    floor: int = Field(ge=0, le=254)
    room: int = Field(ge=1, le=0xFFFF)
    start: Instant
    end: Instant
    cancelled: bool = False

    @model_validator(mode="after")
    def _a_slot_of_one_day_at_most(self) -> FacilitySlot:
        seconds = (self.end - self.start).total_seconds()
        if not 0 < seconds <= 86_400:
            raise ValueError("a slot ends after it starts, within a day")
        return self


register_command("key.upsert", KeyUpsert)
register_command("key.retire", KeyRetire)
register_command("key.delegate", KeyDelegate)
register_command("facility.slot", FacilitySlot)
