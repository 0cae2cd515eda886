"""Installs marketing: its API and the guest's unsubscribe and open-tracking pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from cloud.marketing import api, pages

if TYPE_CHECKING:
    from cloud.services import Services


def install(app: FastAPI, services: Services) -> None:
    app.include_router(api.router)
    app.include_router(pages.router)
