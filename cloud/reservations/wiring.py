"""Installs reservations and stays into the app: the API of each capability, then the pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from cloud.reservations import api, pages
from cloud.reservations.groups import api as groups_api
from cloud.reservations.groups import pages as groups_pages
from cloud.reservations.long_stays import api as long_stays_api
from cloud.reservations.search import api as search
from cloud.reservations.stays import api as stays_api

if TYPE_CHECKING:
    from cloud.services import Services


def install(app: FastAPI, services: Services) -> None:
    """Call once from the app factory, after cards (whose stay routes are more specific)."""
    install_api(app, services)
    install_pages(app, services)


def install_api(app: FastAPI, services: Services) -> None:
    """The API alone (no path of it is taken by another area's): the app factory puts it ahead of
    the other areas, as its routes are the most requested."""
    for router in (api.router, stays_api.router, groups_api.router, long_stays_api.router, search.router):
        app.include_router(router)


def install_pages(app: FastAPI, services: Services) -> None:
    """The pages, after cards (whose stay routes are more specific)."""
    # Blocks and search first: their paths would otherwise read as reservation ids.
    for router in (groups_pages.router, search.pages, pages.router):
        app.include_router(router)
