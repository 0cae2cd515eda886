"""Bodies of the operations routes, checked before any SQL runs."""

from __future__ import annotations

from datetime import date, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
CODE = r"^[a-z0-9][a-z0-9_-]{0,31}$"
ID = r"^[0-9A-Za-z]{1,26}$"
Department = Literal["housekeeping", "food", "transport", "laundry", "maintenance", "concierge"]
Names = dict[Literal["en", "es", "zh"], str]


class ServiceTypeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    department: Department
    names: Names
    price_minor: int = Field(default=0, ge=0, le=10**9)
    charge_kind: Literal["minibar", "restaurant", "laundry", "spa", "transport"] = "restaurant"
    promise_minutes: int = Field(ge=1, le=7 * 24 * 60)


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(pattern=CODE)
    reservation_id: str | None = Field(default=None, pattern=ID)
    room: str = Field(default="", max_length=63)
    quantity: int = Field(default=1, ge=1, le=99)
    note: str = Field(default="", max_length=400)


class MoveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee: str | None = Field(default=None, min_length=1, max_length=100)


class FacilityBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    names: Names
    area: Literal["pool", "gym", "spa", "lounge", "business_centre"]
    opens: time
    closes: time
    capacity: int = Field(ge=1, le=500)
    slot_minutes: int = Field(ge=15, le=24 * 60)
    price_minor: int = Field(default=0, ge=0, le=10**9)
    charge_kind: Literal["spa", "restaurant", "transport"] = "spa"


class BookingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reservation_id: str = Field(pattern=ID)
    day: date
    start: time
    end: time
    guests: int = Field(default=1, ge=1, le=50)


class SupplierBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=64, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    lead_days: int = Field(ge=0, le=365)


class StoreBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=200)


class ItemBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store: str = Field(pattern=CODE)
    sku: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=200)
    category: Literal["minibar", "amenities", "linen", "cleaning", "spare_parts"]
    minimum: int = Field(ge=0, le=1_000_000)
    maximum: int = Field(ge=1, le=1_000_000)
    pack_size: int = Field(ge=1, le=10_000)
    supplier: str | None = Field(default=None, pattern=CODE)
    pack_price_minor: int = Field(default=0, ge=0, le=10**9)
    sale_price_minor: int = Field(default=0, ge=0, le=10**9)


class MoveInBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["received", "issued", "consumed", "wasted", "counted"]
    quantity: int = Field(ge=0, le=1_000_000)
    reservation_id: str | None = Field(default=None, pattern=ID)
    place: str = Field(default="", max_length=63)
