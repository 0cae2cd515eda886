"""The folio of a reservation, for the front desk that starts from the booking."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cloud.billing.context import Ctx
from cloud.billing.errors import FolioNotFound
from cloud.billing.routes import BILLING_STAFF
from cloud.billing.stay_ledger import folio_of
from cloud.billing.views import folio_body

router = APIRouter(prefix="/api/v1", tags=["billing"])


@router.get("/reservations/{reservation_id}/folio", dependencies=BILLING_STAFF)
def reservation_folio(reservation_id: str, ctx: Ctx) -> dict[str, Any]:
    with ctx.sessions() as session:
        folio = folio_of(session, reservation_id)
        if folio is None:
            raise FolioNotFound(f"no folio for reservation {reservation_id}")
        return folio_body(session, folio)
