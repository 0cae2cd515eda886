"""The folio of a reservation, and a group block's master folio (the company's account)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from cloud.billing.access import BillingUser, check_folio, check_site
from cloud.billing.context import Ctx
from cloud.billing.errors import FolioNotFound
from cloud.billing.folio import ChargeKind
from cloud.billing.group_folios import block_site, open_block_folio
from cloud.billing.stay_ledger import folio_of
from cloud.billing.views import folio_body

router = APIRouter(prefix="/api/v1", tags=["billing"])


@router.get("/reservations/{reservation_id}/folio")
def reservation_folio(reservation_id: str, ctx: Ctx, user: BillingUser) -> dict[str, Any]:
    with ctx.sessions() as session:
        folio = folio_of(session, reservation_id)
        if folio is None:
            raise FolioNotFound(f"no folio for reservation {reservation_id}")
    check_folio(ctx, user, folio.id)  # another property's folio reads as unknown
    with ctx.sessions() as session:
        return folio_body(session, folio_of(session, reservation_id) or folio)


class BlockFolioIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    company_name: str = Field(min_length=1, max_length=200)
    company_tax_id: str | None = Field(default=None, max_length=64)
    company_pays: list[ChargeKind] = Field(default=[ChargeKind.ROOM_NIGHT], min_length=1)


@router.post("/blocks/{block_id}/master-folio", status_code=201)
def block_master_folio(
    block_id: str, body: BlockFolioIn, ctx: Ctx, user: BillingUser
) -> dict[str, Any]:
    """Open the group's master folio; its stays' lines of ``company_pays`` go to the company."""
    check_site(ctx, user, block_site(ctx, block_id))
    with ctx.sessions.begin() as session:
        master = open_block_folio(
            session, block_id=block_id, company_name=body.company_name,
            company_tax_id=body.company_tax_id, company_pays=tuple(body.company_pays),
            now=ctx.clock())
        return folio_body(session, master)
