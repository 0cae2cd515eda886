"""What staff send and read about a guest (validated at the edge of the registry)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

DOCUMENT_TYPES = ("passport", "national_id", "driving_licence", "residence_permit")
PILLOWS = ("", "soft", "firm", "feather", "hypoallergenic")
DIETS = ("", "vegetarian", "vegan", "halal", "kosher", "gluten_free", "lactose_free")


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    room: str = Field(default="", max_length=100, description="e.g. quiet, near the lift, twin beds")
    pillow: Literal["", "soft", "firm", "feather", "hypoallergenic"] = ""
    diet: Literal["", "vegetarian", "vegan", "halal", "kosher", "gluten_free", "lactose_free"] = ""
    floor: Literal["", "low", "high"] = ""


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["passport", "national_id", "driving_licence", "residence_permit"]
    number: str = Field(min_length=3, max_length=40, pattern=r"^[0-9A-Za-z][0-9A-Za-z -]*$")
    country: str = Field(min_length=2, max_length=2, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    expires: date | None = None


class GuestInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9 ()./-]{6,31}$")
    document: Document | None = None
    nationality: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    birth_date: date | None = None
    address: str | None = Field(default=None, max_length=500)
    preferences: Preferences = Field(default_factory=Preferences)
    notes: str = Field(default="", max_length=4000)
    language: Literal["", "en", "es", "zh"] = Field(
        default="", description="invoices and messages to this guest; empty: the property's")

    @field_validator("birth_date")
    @classmethod
    def _plausible_birth(cls, value: date | None) -> date | None:
        if value is not None and not date(1900, 1, 1) <= value <= date.today():
            raise ValueError("birth date must be between 1900-01-01 and today")
        return value


class StayView(BaseModel):
    site: str
    reservation_id: str | None
    arrival: date
    departure: date
    nights: int
    spend_minor: int
    currency: str


class GuestView(BaseModel):
    """A guest as staff with access to personal data see them (empty once erased or merged)."""

    id: str
    name: str
    email: str | None = None
    phone: str | None = None
    document: Document | None = None
    nationality: str | None = None
    birth_date: date | None = None
    address: str | None = None
    preferences: Preferences = Field(default_factory=Preferences)
    notes: str = ""
    language: str = ""
    site: str
    tier: Literal["normal", "frequent"]
    frequent_since: datetime | None
    stays_count: int
    nights_count: int
    created_at: datetime
    updated_at: datetime
    erased: bool = False
    merged_into: str | None = None


class GuestSummary(BaseModel):
    id: str
    site: str
    name: str
    tier: str
    stays_count: int
