"""Installs the housekeeping board, its tasks (API, daily worker, vacated-room hook) into the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from cloud.housekeeping import api, pages, task_pages
from cloud.housekeeping.task_loop import DailyTasks, vacated_hook

if TYPE_CHECKING:
    from cloud.services import Services


def install(app: FastAPI, services: Services) -> None:
    app.include_router(api.router)
    app.include_router(task_pages.router)
    app.include_router(pages.router)
    services.event_hooks.append(vacated_hook)
    services.workers.append(DailyTasks(services.sessions, clock=services.clock))
