"""Installs the portal's own pages (the live room board) and its static files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from cloud.auth.deps import require_role
from cloud.auth.roles import ROOM_ROLES
from cloud.portal import routes

if TYPE_CHECKING:
    from cloud.services import Services

STATIC = Path(__file__).resolve().parent / "static"


def install(app: FastAPI, services: Services) -> None:
    app.include_router(routes.router, dependencies=[require_role(*ROOM_ROLES)])
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
