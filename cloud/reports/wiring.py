"""Installs the reports into the app: the API, the portal pages and, on PostgreSQL, the worker that
folds the day sums the triggers append (cloud/reports/day_sums.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from cloud.reports import api, pages
from cloud.reports.day_sums import DayFolder

if TYPE_CHECKING:
    from cloud.services import Services


def install(app: FastAPI, services: Services) -> None:
    app.include_router(api.router)
    app.include_router(pages.router)
    if services.engine.dialect.name == "postgresql":
        services.workers.append(DayFolder(services.sessions))
