"""The channel page of a property: mappings, last sync per direction, the queue and its errors,
refused input, overbookings with what to do, and a resync button (managers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cloud.auth.accounts import visible_sites
from cloud.auth.deps import check_property, require_role
from cloud.auth.roles import Principal, Role
from cloud.catalog import service as catalog
from cloud.channels import outbox, registry, views
from cloud.channels.credentials import Credentials
from cloud.core.deps import DbSession, services
from cloud.core.templating import templates

router = APIRouter(prefix="/channels", include_in_schema=False)
Manager = Annotated[Principal, require_role(Role.MANAGER, Role.CHAIN_ADMIN)]


@router.get("", response_model=None)
def index(db: DbSession, user: Manager) -> Response:
    sites = visible_sites(db, user)
    return RedirectResponse(f"/channels/{sites[0]}" if sites else "/", status_code=303)


@router.get("/{site}", response_class=HTMLResponse)
def page(request: Request, site: str, db: DbSession, user: Manager) -> HTMLResponse:
    check_property(db, user, site)
    prop = catalog.get_property(db, site)
    channels = [
        {
            "channel": views.channel_out(db, c),
            "credentials": (Credentials.from_stored(c.credentials) or Credentials()).parts(),
            "messages": views.messages(db, c),
            "problems": views.problems(db, c),
        }
        for c in registry.of_property(db, prop)
    ]
    return templates.TemplateResponse(
        request,
        "channels/index.html",
        {
            "active": "channels",
            "site": site,
            "time_zone": prop.timezone,
            "channels": channels,
            "overbooked": views.reservations(db, prop, statuses=("overbooked",)),
            "recent": views.reservations(db, prop, limit=30),
            "queued": request.query_params.get("queued"),
        },
    )


@router.post("/{site}/{code}/resync", response_model=None)
def resync(request: Request, site: str, code: str, db: DbSession, user: Manager) -> Response:
    """Queue a full resync of the channel now; the page shows the queue."""
    check_property(db, user, site)
    svc = services(request)
    channel = registry.get(db, catalog.get_property(db, site), code)
    count = 0
    if channel.kind == "ota":
        count = outbox.resync(
            db, channel, now=svc.clock(), horizon_days=svc.settings.channels.channels_horizon_days
        )
    db.commit()
    if svc.channels is not None:
        svc.channels.pusher.wake.set()
    return RedirectResponse(f"/channels/{site}?queued={count}", status_code=303)
