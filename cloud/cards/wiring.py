"""Installs keycards into the app: the API routes and the stay page's Keycards routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from cloud.cards import pages, routes

if TYPE_CHECKING:
    from cloud.services import Services


def install(app: FastAPI, services: Services) -> None:
    """Call once from the app factory, before reservations (whose page routes match more widely)."""
    app.include_router(routes.router)
    app.include_router(pages.router)
    services.stay_panels["keycards"] = pages.keycards_context  # the stay page's Keycards section
