"""Installs the channel manager into the app: its API, the export feeds and the channel page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from cloud.channels import api, pages, views

if TYPE_CHECKING:
    from cloud.services import Services


def install(app: FastAPI, services: Services) -> None:
    for router in (api.router, api.feeds_router, pages.router):
        app.include_router(router)
    services.stay_panels["channel"] = views.stay_panel  # the stay page names the selling channel
