"""The guest's forms, checked whole before anything is written."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class SearchIn(Strict):
    arrival: date
    departure: date
    adults: int = Field(default=2, ge=1, le=20)
    children: int = Field(default=0, ge=0, le=20)
    code: str = Field(default="", max_length=64)  # an offer code, as typed


class ChoiceIn(SearchIn):
    room_type: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    rate_plan: str = Field(min_length=1, max_length=32, pattern=r"^~?[A-Za-z0-9_-]+$")  # ~: a chain promotion


class BookIn(ChoiceIn):
    guest_name: str = Field(min_length=1, max_length=200)
    guest_email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    guest_phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9 ()-]{4,31}$")
    pay: Literal["deposit", "full"] = "deposit"
    form_key: str = Field(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    notes: str = Field(default="", max_length=500)
    extras: list[Annotated[str, Field(max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]] = Field(
        default_factory=list, max_length=10)
    offer_code: str = Field(default="", max_length=64)

    @field_validator("guest_phone", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return value or None  # an empty optional field of a form
