"""Installs the reports into the app: the API, the portal pages and, on PostgreSQL, the workers that
fold the day sums the triggers append and the reservations the writers marked into the dimension
sums (cloud/reports/day_sums.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from cloud.reports import api, pages
from cloud.reports.day_sums import DayFolder, DimFolder

if TYPE_CHECKING:
    from cloud.services import Services


def install(app: FastAPI, services: Services) -> None:
    app.include_router(api.router)
    app.include_router(pages.router)
    if services.engine.dialect.name == "postgresql":
        services.workers.append(DimFolder(services.sessions))
        services.workers.append(DayFolder(services.sessions))
