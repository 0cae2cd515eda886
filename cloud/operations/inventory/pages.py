"""The storekeeper's page: stock per store room, a move per item, purchase orders to receive.

A refused move (more than is on hand) shows the page again with the reason; nothing changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.deps import require_role
from cloud.auth.roles import Principal, Role
from cloud.auth.scope import SiteScopeDep
from cloud.core.deps import ClockDep, DbSession, ServicesDep
from cloud.core.errors import DomainError
from cloud.core.templating import templates
from cloud.i18n.jinja import gettext as _
from cloud.i18n.labels import N_
from cloud.operations.inventory import ordering, service
from cloud.operations.inventory.stock import MoveKind
from cloud.operations.requests.service import property_of
from cloud.operations.schemas import ID, SLUG

router = APIRouter(prefix="/operations/inventory", include_in_schema=False)
Store = Annotated[
    Principal,
    require_role(Role.HOUSEKEEPING, Role.STOREKEEPER, Role.MANAGER, Role.CHAIN_ADMIN, Role.FRONT_DESK),
]
Site = Annotated[str, Path(pattern=SLUG)]
AnId = Annotated[str, Path(pattern=ID)]
KINDS = {
    "received": N_("Received"),
    "issued": N_("Issued"),
    "consumed": N_("Consumed"),
    "wasted": N_("Wasted"),
    "counted": N_("Counted"),
}
NEGATIVE = N_("There is not that much in stock: nothing was recorded.")
ORDER_STATES = {"sent": N_("Sent"), "received": N_("Received"), "cancelled": N_("Cancelled")}


def _page(
    request: Request, db: Session, *, site: str, error: str | None = None, status: int = 200
) -> HTMLResponse:
    prop = property_of(db, site)
    return templates.TemplateResponse(
        request,
        "operations/inventory.html",
        {
            "active": "inventory",
            "site": site,
            "items": service.items_of(db, site=site),
            "kinds": KINDS,
            "orders": ordering.orders_of(db, prop=prop),
            "order_states": ORDER_STATES,
            "error": error,
        },
        status_code=status,
    )


@router.get("", response_class=HTMLResponse)
def stock_page(request: Request, db: DbSession, user: Store, scope: SiteScopeDep) -> HTMLResponse:
    sites = scope.narrow()
    if not sites:
        return HTMLResponse("", status_code=403)
    return _page(request, db, site=sites[0])


@router.post("/{site}/items/{item_id}", response_model=None)
async def move(
    request: Request,
    db: DbSession,
    user: Store,
    scope: SiteScopeDep,
    services: ServicesDep,
    clock: ClockDep,
    site: Site,
    item_id: AnId,
) -> Response:
    scope.check(site)
    form = await request.form()
    try:
        kind = MoveKind(str(form.get("kind", "")))
        quantity = int(str(form.get("quantity", "")))
        reservation = str(form.get("reservation_id", "")).strip()[:26] or None
        service.move(
            db,
            site=site,
            item_id=item_id,
            actor=user.username,
            now=clock(),
            billing=services.settings.billing,
            body=service.MoveIn(
                kind=kind,
                quantity=quantity,
                reservation_id=reservation,
                place=str(form.get("place", ""))[:63],
            ),
        )
    except ValueError:
        db.rollback()
        return _page(request, db, site=site, error="quantity", status=422)
    except DomainError as exc:
        db.rollback()
        negative = exc.extra.get("reason") == "negative"
        return _page(request, db, site=site, error=_(NEGATIVE) if negative else exc.detail, status=exc.status)
    audit(db, user, f"stock.{kind.value}", "item", item_id, {"quantity": quantity}, site=site)
    return RedirectResponse("/operations/inventory", status_code=303)


@router.post("/{site}/orders/{order_id}/receive", response_model=None)
def receive(
    request: Request,
    db: DbSession,
    user: Store,
    scope: SiteScopeDep,
    clock: ClockDep,
    site: Site,
    order_id: AnId,
) -> Response:
    scope.check(site)
    try:
        order = ordering.receive(
            db, prop=property_of(db, site), order_id=order_id, actor=user.username, now=clock()
        )
    except DomainError as exc:
        db.rollback()
        return _page(request, db, site=site, error=exc.detail, status=exc.status)
    audit(db, user, "purchase_order.receive", "purchase_order", order.id, {"number": order.number}, site=site)
    return RedirectResponse("/operations/inventory", status_code=303)
