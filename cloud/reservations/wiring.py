"""Installs reservations and stays into the app: their API and pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from cloud.reservations.routes_all import page_routers, routers

if TYPE_CHECKING:
    from cloud.services import Services


def install(app: FastAPI, services: Services) -> None:
    """Call once from the app factory, after auth, guests and cards."""
    for router in [*routers(), *page_routers()]:
        app.include_router(router)
