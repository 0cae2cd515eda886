"""The property document: one YAML or JSON document is a whole property (strict pydantic models).

The models check shape only (types, required fields, unknown keys, slugs and lengths); what
needs the whole document or the database (references, overlaps, currencies, zones, amounts,
stays) is checked by ``checks.py``, so one answer lists every problem at once.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$", min_length=1, max_length=63)]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+$", min_length=1, max_length=32)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Language = Literal["en", "es", "zh"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
AreaKind = Literal["lift_floor", "pool", "gym", "spa", "parking", "entrance", "lounge", "business_centre"]
Meals = Literal["none", "breakfast", "half_board", "full_board", "all_inclusive"]
DepositRule = Literal["none", "first_night", "percent", "total"]
ChargeKind = Literal[
    "room_night",
    "minibar",
    "restaurant",
    "laundry",
    "spa",
    "transport",
    "late_checkout",
    "cancellation",
    "no_show",
]  # billing's ChargeKind values
VERSION: Literal[1] = 1


def _set_of_days(values: tuple[Weekday, ...] | None) -> tuple[Weekday, ...] | None:
    """Weekdays are a set: kept once each, Monday first."""
    return None if values is None else tuple(sorted(set(values), key=WEEKDAYS.index))


def _set_of_codes(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


Days = Annotated[tuple[Weekday, ...] | None, AfterValidator(_set_of_days)]


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class PropertyPart(Strict):
    site: Slug  # the MQTT site
    number: int = Field(ge=1, le=65535)  # the site number written on keycards
    name: Name
    chain: Slug  # staff of the chain's administrators see it
    legal_name: Annotated[str, StringConstraints(max_length=200)] = ""
    address: Annotated[str, StringConstraints(max_length=400)] = ""
    country: Annotated[str, StringConstraints(pattern=r"^([A-Z]{2})?$")] = ""  # ISO 3166 alpha-2
    tax_ids: tuple[Annotated[str, StringConstraints(min_length=1, max_length=64)], ...] = ()
    time_zone: str  # IANA
    currency: str  # ISO 4217
    language: Language = "en"  # the guests' default
    check_in_from: time = time(15)
    check_in_until: time = time(23, 59)
    checkout_at: time = time(11)
    latest_checkout_at: time = time(14)
    late_checkout_hourly_minor: int = 0
    invoice_series: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{0,32}$")] = ""
    prices_include_tax: bool = False


class FloorPart(Strict):
    id: Slug  # the MQTT floor: its gateway is {site}/{id}
    level: int
    name: Annotated[str, StringConstraints(max_length=100)] = ""


class RoomTypePart(Strict):
    code: Code
    name: dict[Language, Name]  # "en" is required
    description: dict[Language, Annotated[str, StringConstraints(max_length=4000)]] = {}
    max_guests: int = Field(ge=1, le=20)
    rank: int = 0  # higher is better, for upgrades
    beds: Annotated[str, StringConstraints(max_length=100)] = ""
    features: tuple[Annotated[str, StringConstraints(min_length=1, max_length=64)], ...] = ()
    photos: tuple[Annotated[str, StringConstraints(pattern=r"^https://\S+$", max_length=500)], ...] = ()


class RoomPart(Strict):
    id: Slug  # the MQTT room
    number: int = Field(ge=1, le=65535)  # written on keycards
    floor: Slug
    type: Code
    view: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    accessible: bool = False
    near_lift: bool = False
    connects_to: Slug | None = None
    retired_from: date | None = None  # not sold from this night on


class AreaPart(Strict):
    code: Code
    kind: AreaKind
    name: Name
    floor: Slug | None = None  # for a lift floor


class RatePlanPart(Strict):
    code: Code
    name: Name
    refundable: bool = True
    free_cancel_hours: int = Field(default=24, ge=0, le=8760)
    cancel_fee_nights: int = Field(default=1, ge=0, le=365)
    deposit: DepositRule = "none"
    deposit_percent: int = Field(default=0, ge=0, le=100)
    min_stay: int = Field(default=1, ge=1, le=365)
    meals: Meals = "none"


class PricePart(Strict):
    """A nightly price; season [from, until) and weekdays narrow where it applies."""

    model_config = ConfigDict(populate_by_name=True)

    plan: Code
    type: Code
    amount_minor: int
    from_: date | None = Field(default=None, validation_alias="from", serialization_alias="from")
    until: date | None = None
    weekdays: Days = None
    min_stay: int | None = Field(default=None, ge=1, le=365)


class RestrictionPart(Strict):
    """Nights [from, until) of a plan and/or type (none named: all of them) and what they forbid."""

    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(validation_alias="from", serialization_alias="from")
    until: date
    plan: Code | None = None
    type: Code | None = None
    min_stay: int | None = Field(default=None, ge=1, le=365)
    max_stay: int | None = Field(default=None, ge=1, le=365)
    closed_to_arrival: bool = False
    closed_to_departure: bool = False
    stop_sell: bool = False


class TaxCategoryPart(Strict):
    code: Code
    name: Name
    charge_kinds: Annotated[tuple[ChargeKind, ...], AfterValidator(_set_of_codes)] = ()


class TaxPart(Strict):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+$", min_length=1, max_length=16)]
    name: Name
    percent: Annotated[str, StringConstraints(pattern=r"^-?\d{1,3}(\.\d{1,4})?$")]  # "21", "7.25"
    categories: Annotated[tuple[Code, ...], AfterValidator(_set_of_codes)] = ()  # empty: every category


class ServiceItemPart(Strict):
    code: Code
    name: dict[Language, Name]
    price_minor: int
    category: Code  # tax category
    charge_kind: ChargeKind


class OutOfOrderPart(Strict):
    model_config = ConfigDict(populate_by_name=True)

    room: Slug
    from_: date = Field(validation_alias="from", serialization_alias="from")
    until: date
    note: Annotated[str, StringConstraints(max_length=200)] = ""


class PropertyDocument(Strict):
    """A whole property; lists are kept in the order given (export sorts them)."""

    version: Literal[1] = VERSION
    property: PropertyPart
    floors: tuple[FloorPart, ...] = ()
    room_types: tuple[RoomTypePart, ...] = ()
    rooms: tuple[RoomPart, ...] = ()
    areas: tuple[AreaPart, ...] = ()
    rate_plans: tuple[RatePlanPart, ...] = ()
    prices: tuple[PricePart, ...] = ()
    restrictions: tuple[RestrictionPart, ...] = ()
    tax_categories: tuple[TaxCategoryPart, ...] = ()
    taxes: tuple[TaxPart, ...] = ()
    service_items: tuple[ServiceItemPart, ...] = ()
    out_of_order: tuple[OutOfOrderPart, ...] = ()
