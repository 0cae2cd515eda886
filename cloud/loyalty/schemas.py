"""What the loyalty API takes and gives (no personal data: profiles are named by id)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ULID = r"^[0-9A-HJKMNP-TV-Z]{26}$"
SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"


ServiceKind = Literal["minibar", "restaurant", "laundry", "spa", "transport", "late_checkout"]


class EnrollIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    guest_id: str = Field(pattern=ULID)


class RedemptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    site: str = Field(pattern=SLUG)
    kind: Literal["night", "service", "upgrade"]
    points: int = Field(gt=0, le=10_000_000)
    reservation_id: str | None = Field(default=None, pattern=ULID)
    note: str = Field(default="", max_length=200)
    # what a service redemption pays for on the stay's folio (nights and upgrades: the room)
    service_kind: ServiceKind | None = None


class Benefits(BaseModel):
    late_checkout: str
    upgrade_priority: int
    discount_pct: int


class ProfileLink(BaseModel):
    guest_id: str
    site: str


class MemberOut(BaseModel):
    id: str
    chain: str
    tier: str
    benefits: Benefits
    available: int
    pending: int
    qualifying: int
    next_tier: str | None
    points_to_next_tier: int | None
    profiles: list[ProfileLink]  # only those at properties the caller sees
    enrolled_at: datetime


class EntryOut(BaseModel):
    id: str
    kind: str
    bucket: str
    points: int
    site: str
    reservation_id: str | None
    action: str
    lot_id: str | None
    created_at: datetime


class LotOut(BaseModel):
    id: str
    site: str
    state: str
    points: int
    remaining: int
    expires_on: date | None
    reservation_id: str | None
    action: str


class RedemptionOut(BaseModel):
    id: str
    member_id: str
    site: str
    kind: str
    points: int
    value_minor: int
    currency: str
    reservation_id: str | None
    available_after: int
    folio_charge_id: str | None = None  # the allowance line on the stay's folio
    reversed_at: datetime | None = None


class SettlementOut(BaseModel):
    """A property's sub-ledger: what it issued and owes in points, and what it honoured for others."""

    site: str
    currency: str
    issued: int
    reversed: int
    expired: int
    redeemed_here_from_own: int
    redeemed_elsewhere: int
    honoured_for_others: int
    outstanding: int  # points of this property's issue still held by members
    net_value_minor: int  # positive: the chain owes the property for redemptions it honoured


class SuggestionOut(BaseModel):
    """An item to offer and why: the guest's own stays, or similar guests' (``because``)."""

    item: str
    score: float
    own: int
    stays: int
    because: str
    together: int
