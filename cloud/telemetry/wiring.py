"""Installs telemetry into the app: latest readings, alerts and tasks (API) and maintenance pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from cloud.auth.deps import require_role
from cloud.auth.roles import ROOM_ROLES
from cloud.telemetry import pages, routes

if TYPE_CHECKING:
    from cloud.services import Services


def install(app: FastAPI, services: Services) -> None:
    app.include_router(routes.router, dependencies=[require_role(*ROOM_ROLES)])
    app.include_router(pages.router)
