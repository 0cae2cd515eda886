"""Health: ``/health`` answers load balancers with up or not and nothing more; the detail
(database, broker link, ingest counters) is ``/api/v1/health`` for signed-in staff.

Neither echoes an error's text: the detail names the kind of failure and the log holds the rest.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from cloud.auth.deps import CurrentUser
from cloud.core.deps import ServicesDep

if TYPE_CHECKING:
    from cloud.services import Services

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


def checks(services: Services) -> dict[str, dict[str, Any]]:
    """Each part's state; ``ok`` in every one when all is well."""
    found: dict[str, dict[str, Any]] = {}
    try:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        found["database"] = {"ok": True, "dialect": services.engine.dialect.name}
    except Exception as exc:  # whatever the driver raises: the health answer must still come
        log.warning("health: database unreachable: %s", exc)
        found["database"] = {"ok": False, "error": type(exc).__name__}
    if services.settings.mqtt_enabled:
        link = services.link
        found["broker"] = {
            "ok": bool(link and link.connected.is_set()),
            "url": link.address.redacted() if link else None,
            "embedded": services.broker is not None,
        }
    if services.ingest:
        c = services.ingest.counters
        found["ingest"] = {"ok": True, "received": c.received, "stored": c.stored,
                           "duplicates": c.duplicates, "rejected": c.rejected,
                           "failed_batches": c.failed_batches}
    return found


def _ok(found: dict[str, dict[str, Any]]) -> bool:
    return all(part.get("ok", False) for part in found.values())


OK = b'{"status":"ok"}'
UNAVAILABLE = b'{"status":"unavailable"}'


@router.get("/health", response_class=Response)
async def health(services: ServicesDep) -> Response:
    """Liveness for load balancers: ``ok`` (200) or ``unavailable`` (503), no detail.

    Polled every few seconds by every balancer: the database is asked on the event loop's own
    pool (no thread hop), the broker link read from memory."""
    try:
        await services.auth.reads.scalar("SELECT 1")
        ok = True
    except Exception as exc:  # whatever the driver raises: the answer must still come
        log.warning("health: database unreachable: %s", exc)
        ok = False
    if ok and services.settings.mqtt_enabled:
        link = services.link
        ok = bool(link and link.connected.is_set())
    return Response(OK if ok else UNAVAILABLE, status_code=200 if ok else 503, media_type="application/json")


@router.get("/api/v1/health")
def health_detail(services: ServicesDep, _user: CurrentUser) -> JSONResponse:
    """Each part's state for staff: database, broker link, ingest counters."""
    found = checks(services)
    ok = _ok(found)
    return JSONResponse({"status": "ok" if ok else "degraded", **found}, status_code=200 if ok else 503)
