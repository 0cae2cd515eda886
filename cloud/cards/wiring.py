"""Installs keycards into the app: the API routes and the stay page's Keycards routes."""

from __future__ import annotations

from fastapi import FastAPI


def install_cards(app: FastAPI) -> None:
    """Call once from the app factory, before reservations (whose page routes match more widely)."""
    from cloud.cards import pages, routes

    app.include_router(routes.router)
    app.include_router(pages.router)
