"""``/health``: the broker link and the database, for load balancers and operators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from cloud.core.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(services: ServicesDep) -> JSONResponse:
    checks: dict[str, Any] = {}
    try:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = {"ok": True, "dialect": services.engine.dialect.name}
    except Exception as exc:
        checks["database"] = {"ok": False, "error": str(exc)[:200]}
    if services.settings.mqtt_enabled:
        link = services.link
        checks["broker"] = {
            "ok": bool(link and link.connected.is_set()),
            "url": link.address.redacted() if link else None,
            "embedded": services.broker is not None,
        }
    if services.ingest:
        c = services.ingest.counters
        checks["ingest"] = {"ok": True, "received": c.received, "stored": c.stored,
                            "duplicates": c.duplicates, "rejected": c.rejected,
                            "failed_batches": c.failed_batches}
    ok = all(part.get("ok", False) for part in checks.values())
    body = {"status": "ok" if ok else "degraded", **checks}
    return JSONResponse(body, status_code=200 if ok else 503)
