"""Request and response models of the channel manager's API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator


class CredentialsIn(BaseModel):
    """What the channel gave us to present on every call (all optional; never answered back)."""

    model_config = ConfigDict(extra="forbid")

    requestor_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[^\s<>&]+$")
    requestor_type: str | None = Field(default=None, max_length=8, pattern=r"^[0-9A-Za-z]+$")
    message_password: str | None = Field(default=None, min_length=1, max_length=64)
    username: str | None = Field(default=None, min_length=1, max_length=128, pattern=r"^[^:\r\n]+$")
    password: str | None = Field(default=None, min_length=1, max_length=256, pattern=r"^[^\r\n]+$")
    token: str | None = Field(default=None, min_length=8, max_length=2048, pattern=r"^[\x21-\x7e]+$")

    @model_validator(mode="after")
    def _pairs(self) -> CredentialsIn:
        if (self.username is None) != (self.password is None):
            raise ValueError("HTTP Basic needs both username and password")
        if self.message_password is not None and self.requestor_id is None:
            raise ValueError("a message password goes with a requestor_id")
        return self


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["ical", "ota"]
    markup_bp: int = Field(default=0, ge=-5000, le=50000, description="basis points over our price")
    hotel_code: str = Field(default="", max_length=64)
    endpoint_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")
    calls_per_minute: int = Field(default=20, ge=1, le=6000)
    credentials: CredentialsIn | None = None
    commission_bp: int = Field(default=0, ge=0, le=10000,
                               description="basis points of the room revenue the channel keeps")


class ChannelPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    markup_bp: int | None = Field(default=None, ge=-5000, le=50000)
    paused: bool | None = None
    hotel_code: str | None = Field(default=None, max_length=64)
    endpoint_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")
    calls_per_minute: int | None = Field(default=None, ge=1, le=6000)
    credentials: CredentialsIn | None = Field(
        default=None, description="replaces the stored ones; null removes them"
    )
    commission_bp: int | None = Field(default=None, ge=0, le=10000)


class MappingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    room_type: str = Field(max_length=32)
    rate_plan: str = Field(max_length=32)
    room_code: str = Field(max_length=64)
    rate_code: str = Field(max_length=64)
    import_url: str | None = Field(default=None, max_length=500)
    occupancy_bp: (
        dict[
            Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]?$")],
            Annotated[int, Field(ge=-9000, le=50000)],
        ]
        | None
    ) = Field(
        default=None,
        max_length=20,
        description="guests -> basis points over the room's price, sent as one amount per occupancy",
    )


class MappingOut(BaseModel):
    id: int
    room_type: str
    rate_plan: str
    room_code: str
    rate_code: str
    import_url: str | None
    occupancy_bp: dict[str, int] | None = None


class SyncOut(BaseModel):
    direction: str
    last_ok_at: datetime | None
    last_error_at: datetime | None
    last_error: str


class MessageOut(BaseModel):
    id: int
    kind: str
    room_type: str
    first_night: date
    last_night: date
    status: str
    attempts: int
    next_at: datetime
    last_error: str


class ProblemOut(BaseModel):
    at: datetime
    source: str
    reason: str


class ChannelOut(BaseModel):
    code: str
    name: str
    kind: str
    markup_bp: int
    paused: bool
    hotel_code: str
    endpoint_url: str | None
    calls_per_minute: int
    credentials: list[str] = Field(default_factory=list, description="what we present, without secrets")
    commission_bp: int
    mappings: list[MappingOut]
    syncs: list[SyncOut]
    queued: int
    failed: int


class ChannelCreated(ChannelOut):
    secret: str = Field(description="shown once: feed URLs and reservation calls carry it")
    feeds: list[str] = Field(description="export feeds (paths) for this channel to subscribe to")


class SecretOut(BaseModel):
    secret: str
    feeds: list[str]


class ResyncOut(BaseModel):
    queued: int


class ChannelReservationOut(BaseModel):
    channel: str
    confirmation: str
    status: str
    reservation_id: str | None
    room_type: str
    arrival: date
    departure: date
    guest_name: str
    total_minor: int  # the channel's total for the stay, as it states it
    currency: str
    conflict: str | None
    room_index: int = 1  # which room of the channel's reservation
    folio_minor: int | None = None  # the stay at the channel's price, as the folio charges it
    ours_minor: int | None = None  # our own price of the same stay
    difference_minor: int | None = None  # the channel's price less ours (its markup)
    commission_minor: int | None = None  # the channel's commission on its price, tax included
    tax_note: str | None = None  # the taxes the channel states differ from the property's
