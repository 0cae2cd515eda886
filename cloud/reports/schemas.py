"""Query parameters of the report routes, checked before any SQL runs."""

from __future__ import annotations

from datetime import date

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
