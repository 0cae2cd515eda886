"""Bodies of the long-stay routes, checked before any SQL runs."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Meter = Literal["electricity", "water", "gas"]


class ServiceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern=r"^[a-z_]{1,32}$")
    weekdays: list[int] = Field(min_length=1, max_length=7)
    price_minor: int = Field(default=0, ge=0, le=10**9)


class ContractBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cycle: Literal["monthly", "weekly"] = "monthly"
    rate_minor: int = Field(ge=0, le=10**9)  # per month or per week
    billing_day: int = Field(default=1, ge=1, le=28)  # monthly cycle
    deposit_minor: int = Field(default=0, ge=0, le=10**9)
    notice_days: int = Field(default=30, ge=0, le=365)
    auto_renew: bool = False
    utilities: dict[Meter, int] = Field(default_factory=dict)  # minor units per unit read
    services: list[ServiceBody] = Field(default_factory=list, max_length=10)


class EndBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: date


class RenewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: date


class ReadingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meter: Meter
    reading: int = Field(ge=0, le=10**12)
    read_on: date


class ParcelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reservation_id: str = Field(pattern=r"^[0-9A-Za-z]{1,26}$")
    carrier: str = Field(min_length=1, max_length=60)
    description: str = Field(min_length=1, max_length=200)


class HandOverBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signed_by: str = Field(min_length=1, max_length=100)
    signature_svg: str = Field(min_length=1, max_length=20000)


class DeductionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=120)
    amount_minor: int = Field(gt=0, le=10**9)


class DepositBody(BaseModel):
    """The deposit's settlement at the end of the stay: what is kept and why (nothing: all back)."""

    model_config = ConfigDict(extra="forbid")

    deductions: list[DeductionBody] = Field(default_factory=list, max_length=20)
