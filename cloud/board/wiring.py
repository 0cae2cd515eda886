"""Installs the room board into the app: its API and live stream, for staff who look after rooms."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from cloud.auth.deps import require_role
from cloud.auth.roles import ROOM_ROLES
from cloud.board import routes

if TYPE_CHECKING:
    from cloud.services import Services


def install(app: FastAPI, services: Services) -> None:
    app.include_router(routes.router, dependencies=[require_role(*ROOM_ROLES)])
