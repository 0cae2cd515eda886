"""What the marketing API takes and gives (no personal data: guests are counted, not listed)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
ULID = r"^[0-9A-HJKMNP-TV-Z]{26}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ConsentIn(Strict):
    email: bool
    whatsapp: bool


class SegmentIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    sites: list[str] = Field(min_length=1, max_length=50)
    countries: list[str] = Field(default=[], max_length=250)
    tiers: list[Literal["none", "member", "silver", "gold"]] = Field(default=[], max_length=4)
    stayed_within_days: int | None = Field(default=None, ge=1, le=3650)
    away_for_days: int | None = Field(default=None, ge=1, le=3650)
    min_spend_minor: int | None = Field(default=None, ge=0, le=10**12)
    birth_month: int | None = Field(default=None, ge=1, le=12)

    def rules(self) -> dict[str, object]:
        return self.model_dump(exclude={"name"}, exclude_none=True)


class SegmentOut(BaseModel):
    id: str
    name: str
    chain: str
    email_audience: int
    whatsapp_audience: int


class MessageText(Strict):
    subject: str = Field(default="", max_length=200)
    body: str = Field(min_length=1, max_length=4000)


class CampaignIn(Strict):
    segment_id: str = Field(pattern=ULID)
    name: str = Field(min_length=1, max_length=100)
    channel: Literal["email", "whatsapp"]
    texts: dict[Literal["en", "es", "zh"], MessageText] = Field(min_length=1)
    whatsapp_template: str = Field(default="", max_length=64, pattern=r"^[a-z0-9_]*$")
    offer_code: str = Field(default="", max_length=32, pattern=r"^[A-Z0-9-]*$")


class CampaignOut(BaseModel):
    id: str
    name: str
    channel: str
    status: str


class Results(BaseModel):
    campaign: str
    status: str
    sent: int
    opened: int
    booked: int
    revenue_minor: int
    booked_with_code: int = 0  # bookings that used the campaign's personal offer codes
    revenue_with_code_minor: int = 0
