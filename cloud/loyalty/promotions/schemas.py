"""What the promotions API takes and gives."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
PROMO_CODE = r"^[a-z0-9][a-z0-9-]{1,23}$"
PLAN = r"^[A-Za-z0-9_.-]{1,16}$"
ItemCode = Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")


class Extra(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str = ItemCode  # a service item of each property (breakfast, parking, spa...)
    per: Literal["stay", "night"] = "stay"


class Names(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    en: str = Field(min_length=1, max_length=120)
    es: str = Field(default="", max_length=120)
    zh: str = Field(default="", max_length=120)


class PromotionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(pattern=PROMO_CODE)
    kind: Literal["package", "member_rate", "seasonal", "birthday"]
    names: Names
    base_plan: str = Field(pattern=PLAN)
    room_types: list[str] = Field(default_factory=list, max_length=50)
    price_rule: Literal["percent_off", "amount_off", "fixed"]
    price_value: int = Field(ge=0, le=100_000_000)
    stay_from: date
    stay_until: date
    weekdays: list[int] | None = Field(default=None, min_length=1, max_length=7)
    min_nights: int = Field(default=1, ge=1, le=60)
    extras: list[Extra] = Field(default_factory=list, max_length=10)
    code_only: bool = False
    opt_out: bool = True
    multiplier_pct: int = Field(default=100, ge=100, le=1000)
    bonus_points: int = Field(default=0, ge=0, le=1_000_000)
    sites: list[str] = Field(default_factory=list, max_length=200)  # pushed at once

    @model_validator(mode="after")
    def _coherent(self) -> PromotionIn:
        if self.stay_until <= self.stay_from or (self.stay_until - self.stay_from).days > 731:
            raise ValueError("stay_until is after stay_from, at most two years on")
        if self.price_rule == "percent_off" and not 1 <= self.price_value <= 100:
            raise ValueError("percent_off is 1 to 100")
        if self.weekdays is not None and (
            len(set(self.weekdays)) != len(self.weekdays) or not all(0 <= d <= 6 for d in self.weekdays)
        ):
            raise ValueError("weekdays are distinct numbers 0 (Monday) to 6")
        if len({e.item for e in self.extras}) != len(self.extras):
            raise ValueError("each extra once")
        for code in self.room_types:
            if not 1 <= len(code) <= 32:
                raise ValueError("room type codes are 1 to 32 characters")
        return self


class SitesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sites: list[str] = Field(min_length=1, max_length=200)


class SiteStateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal["active", "opted_out"]


class SiteOut(BaseModel):
    site: str
    state: str
    rate_plan: str
    priced_at: datetime | None = None  # prices derived from the base plan then; kept until repriced


class PromotionOut(BaseModel):
    id: str
    chain: str
    code: str
    kind: str
    names: dict[str, str]
    base_plan: str
    room_types: list[str]
    price_rule: str
    price_value: int
    stay_from: date
    stay_until: date
    weekdays: list[int] | None
    min_nights: int
    extras: list[dict[str, str]]
    code_only: bool
    opt_out: bool
    multiplier_pct: int
    bonus_points: int
    status: str
    sites: list[SiteOut]
    created_at: datetime


class CodesIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    count: int = Field(default=1, ge=1, le=1000)
    max_uses: int = Field(default=1, ge=1, le=100_000)
    valid_until: date
    code: str | None = Field(default=None, min_length=4, max_length=24, pattern=r"^[A-Za-z0-9-]+$")


class CodesOut(BaseModel):
    promotion_id: str
    codes: list[str]  # shown this once: only their digests are kept
    max_uses: int
    valid_until: date


class ChainRulesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    per_night: int | None = Field(default=None, ge=0, le=100_000)
    per_currency_unit: int | None = Field(default=None, ge=0, le=10_000)
    per_survey: int | None = Field(default=None, ge=0, le=100_000)
    lot_months: int | None = Field(default=None, ge=1, le=120)
    point_value_minor: int | None = Field(default=None, ge=0, le=10_000)


class ChainRulesOut(BaseModel):
    chain: str
    per_night: int
    per_currency_unit: int
    per_survey: int
    lot_months: int
    point_value_minor: int
