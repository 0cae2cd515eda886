"""Query parameters of the report routes, checked before any SQL runs."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cloud.reports.definitions import Grain
from cloud.reports.dimensions import Dimension

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"


class KpiParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: date
    end: date
    grain: Grain = Grain.MONTH
    dimension: Dimension = Dimension.NONE
    per_property: bool = True


class PickupParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nights: int = Field(default=90, ge=1, le=400)


class ExpenseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["entry", "supplier_invoice"] = "entry"
    category: Literal["payroll", "utilities", "supplies", "maintenance", "commissions", "marketing", "other"]
    incurred_on: date
    amount_minor: int = Field(gt=0, le=10**12)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    supplier: str = Field(default="", max_length=200)
    reference: str = Field(default="", max_length=64)
    description: str = Field(default="", max_length=400)


class RecurringBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Literal["payroll", "utilities", "supplies", "maintenance", "commissions", "marketing", "other"]
    amount_minor: int = Field(gt=0, le=10**12)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    first_month: date
    last_month: date | None = None
    description: str = Field(default="", max_length=400)


class CommissionRateBody(BaseModel):
    """A channel's commission rate from a date on (docs/reports.md#commissions)."""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    rate_bp: int = Field(ge=0, le=10000, strict=True, description="basis points of the room revenue")
    effective_from: date = Field(description="the first booking date the rate applies to")
