"""Every router of reservations and stays, for the app to include."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from cloud.reservations import routes, routes_groups, routes_long_stays, routes_search, routes_stays

    return [
        routes.router,
        routes_stays.router,
        routes_groups.router,
        routes_long_stays.router,
        routes_search.router,
    ]


def page_routers() -> list[APIRouter]:
    """Portal pages (blocks and search first: their paths would otherwise read as reservation ids)."""
    from cloud.reservations import pages, pages_groups, routes_search

    return [pages_groups.router, routes_search.pages, pages.router]
