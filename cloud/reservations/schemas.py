"""Request and response bodies of the reservations API."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from cloud.reservations.sales.queries import Offer


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PreferencesIn(Strict):
    floor: str | None = Field(default=None, max_length=63)
    view: str | None = Field(default=None, max_length=32)
    accessible: bool = False
    near_lift: bool = False
    same_room_as_last_stay: bool = False


class ReservationIn(Strict):
    room_type: str = Field(max_length=32)
    rate_plan: str = Field(max_length=32)
    arrival: date
    departure: date
    adults: int = Field(default=1, ge=1, le=20)
    children: int = Field(default=0, ge=0, le=20)
    guest_name: str = Field(min_length=1, max_length=200)
    guest_email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    guest_phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9 ()-]{4,31}$")
    guest_id: str | None = Field(default=None, pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")
    guest_language: Literal["en", "es", "zh"] | None = Field(
        default=None, description="invoices and messages; unset: the guest profile's, else the property's"
    )
    preferences: PreferencesIn = Field(default_factory=PreferencesIn)
    block_id: str | None = Field(default=None, max_length=26)
    notes: str = Field(default="", max_length=2000)


class ReservationPatch(Strict):
    """The stay (while booked) and the guest's details (while booked or in house); omitted fields
    stay as they are."""

    arrival: date | None = None
    departure: date | None = None
    room_type: str | None = Field(default=None, max_length=32)
    adults: int | None = Field(default=None, ge=1, le=20)
    children: int | None = Field(default=None, ge=0, le=20)
    guest_name: str | None = Field(default=None, min_length=1, max_length=200)
    guest_email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    guest_phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9 ()-]{4,31}$")
    guest_language: Literal["en", "es", "zh"] | None = Field(
        default=None, description="invoices and messages from now on (invoices issued keep theirs)"
    )


class NightOut(BaseModel):
    night: date
    amount_minor: int


class SegmentOut(BaseModel):
    room: str
    floor: str
    start_night: date
    end_night: date


class ReservationOut(BaseModel):
    id: str
    property: str
    status: str
    guest_id: str | None
    guest_name: str
    guest_email: str | None
    guest_phone: str | None
    guest_language: str = "en"
    adults: int
    children: int
    room_type: str
    rate_plan: str
    block_id: str | None
    arrival: date
    departure: date
    currency: str
    total_minor: int
    deposit_required_minor: int
    cancellation_fee_minor: int
    late_checkout_fee_minor: int
    checkout_due_at: datetime
    nights: list[NightOut]
    rooms: list[SegmentOut]
    checked_in_at: datetime | None
    checked_out_at: datetime | None


class QuoteOut(BaseModel):
    room_type: str
    room_type_name: str
    max_guests: int
    rooms_left: int
    rate_plan: str
    rate_plan_name: str
    refundable: bool
    currency: str
    nights: list[NightOut]
    total_minor: int
    deposit_minor: int
    unavailable: str | None = None  # why a restriction forbids this stay

    @classmethod
    def of(cls, offer: Offer) -> QuoteOut:
        return cls(
            room_type=offer.room_type.code,
            room_type_name=offer.room_type.name,
            max_guests=offer.room_type.max_guests,
            rooms_left=offer.rooms_left,
            rate_plan=offer.rate_plan.code,
            rate_plan_name=offer.rate_plan.name,
            refundable=offer.rate_plan.refundable,
            currency=offer.quote.currency,
            nights=[NightOut(night=n, amount_minor=a) for n, a in offer.quote.nights],
            total_minor=offer.quote.total_minor,
            deposit_minor=offer.quote.deposit_minor,
            unavailable=offer.unavailable,
        )


class MoveIn(Strict):
    room: str = Field(max_length=63)
    from_night: date | None = None


class LateCheckoutIn(Strict):
    until: time


class CheckInIn(Strict):
    pass


class BlockIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["group", "event"] = "group"
    arrival: date
    departure: date
    release_on: date
    rate_plan: str = Field(max_length=32)
    rooms: dict[str, Annotated[int, Field(ge=1, le=5000)]] = Field(min_length=1, max_length=20)


class AllotmentOut(BaseModel):
    room_type: str
    held: int
    picked: int


class BlockOut(BaseModel):
    id: str
    name: str
    kind: str
    arrival: date
    departure: date
    release_on: date
    released_at: datetime | None
    rate_plan: str
    allotments: list[AllotmentOut]


class ContractIn(Strict):
    monthly_rate_minor: int = Field(ge=0, le=1_000_000_000)
    billing_day: int = Field(ge=1, le=28)
    services: list[ServiceIn] = Field(default_factory=list, max_length=20)


class ServiceIn(Strict):
    kind: str = Field(min_length=1, max_length=32, pattern=r"^[a-z_]+$")
    weekdays: list[int] = Field(min_length=1, max_length=7)


ContractIn.model_rebuild()
