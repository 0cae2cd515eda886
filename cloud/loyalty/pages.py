"""Portal page of a member: tier and benefits, balances, lots and the points ledger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from cloud.auth.deps import GuestDataUser
from cloud.core.deps import DbSession
from cloud.core.templating import templates
from cloud.i18n.labels import N_
from cloud.loyalty import views
from cloud.loyalty.api import visible_member
from cloud.loyalty.schemas import ULID

router = APIRouter(prefix="/loyalty", include_in_schema=False)
# what the member page shows for the ledger's stored codes (translated in the template)
NAMES = {
    "member": N_("Member"),
    "silver": N_("Silver"),
    "gold": N_("Gold"),
    "pending": N_("Pending"),
    "confirm": N_("Confirmed"),
    "earn": N_("Earned"),
    "redeem": N_("Redeemed"),
    "reverse": N_("Taken back"),
    "expire": N_("Expired"),
    "available": N_("Available"),
    "reversed": N_("Reversed"),
}


@router.get("/members/{member_id}", response_class=HTMLResponse)
def member_page(
    request: Request, db: DbSession, user: GuestDataUser, member_id: Annotated[str, Path(pattern=ULID)]
) -> HTMLResponse:
    member, sites = visible_member(db, user, member_id)
    return templates.TemplateResponse(
        request,
        "loyalty/member.html",
        {
            "member": views.member_out(db, member, sites=sites),
            "entries": views.entries_of(db, member),
            "lots": views.lots_out(db, member),
            "active": "guests",
            "names": NAMES,
        },
    )
