"""Installs billing into the app: folios, payments, invoices and the desk's check-out page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from cloud.billing import pages, routes, routes_stays

if TYPE_CHECKING:
    from cloud.services import Services


def install(app: FastAPI, services: Services) -> None:
    app.include_router(routes.router)
    app.include_router(routes_stays.router)
    app.include_router(pages.router)  # the desk's check-out page
