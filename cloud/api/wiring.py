"""Installs the operators' endpoints: ``/health`` (public, up or not) and ``/api/v1/health`` (staff)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from cloud.api import health

if TYPE_CHECKING:
    from cloud.services import Services


def install(app: FastAPI, services: Services) -> None:
    app.include_router(health.router)
