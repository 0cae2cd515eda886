"""Installs the guest pages and the online-payment webhook into the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from cloud.guestweb import api, desk_pages, email_pages, pages

if TYPE_CHECKING:
    from cloud.services import Services


def install(app: FastAPI, services: Services) -> None:
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(desk_pages.router)
    app.include_router(email_pages.router)
