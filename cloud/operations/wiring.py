"""Installs running the house into the app: the API, the portal pages and the late-request sweeper."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from cloud.operations.attendance import api as attendance_api
from cloud.operations.attendance import pages as attendance_pages
from cloud.operations.attendance.service import punch_hook
from cloud.operations.facilities import api as facility_api
from cloud.operations.facilities import guest_pages as facility_guest_pages
from cloud.operations.facilities import pages as facility_pages
from cloud.operations.facilities.service import follow_move
from cloud.operations.inventory import api as inventory_api
from cloud.operations.inventory import pages as inventory_pages
from cloud.operations.long_stays import api as long_stay_api
from cloud.operations.long_stays import pages as long_stay_pages
from cloud.operations.long_stays.worker import ContractBiller
from cloud.operations.requests import api as request_api
from cloud.operations.requests import guest_pages
from cloud.operations.requests import pages as request_pages
from cloud.operations.requests.booking_extras import ServiceTypeExtras
from cloud.operations.requests.inbound import request_from_message
from cloud.operations.requests.sweeper import LateRequestSweeper

if TYPE_CHECKING:
    from cloud.services import Services


def install(app: FastAPI, services: Services) -> None:
    app.include_router(request_api.router)
    app.include_router(facility_api.router)
    app.include_router(facility_pages.router)
    app.include_router(facility_guest_pages.router)
    app.include_router(inventory_api.router)
    app.include_router(inventory_pages.router)
    app.include_router(attendance_api.router)
    app.include_router(attendance_pages.router)
    app.include_router(long_stay_api.router)
    app.include_router(long_stay_pages.router)
    services.workers.append(
        ContractBiller(
            services.sessions, clock=services.clock, billing=services.settings.billing, issuer=services.issuer
        )
    )
    services.move_hooks.append(follow_move)  # a room move takes the stay's facility slots along
    services.event_hooks.append(punch_hook)  # staff.punch events from the time clocks
    app.include_router(request_pages.router)
    app.include_router(guest_pages.router)
    services.notify.inbound_hooks.append(
        lambda session, message, now: request_from_message(session, message, now=now)
    )
    services.workers.append(
        LateRequestSweeper(services.sessions, clock=services.clock, notify=services.settings.notify)
    )
    if services.guestweb is not None:  # the catalogue's services offered as extras when booking
        services.guestweb.extras = ServiceTypeExtras()
