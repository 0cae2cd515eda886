"""Inventory under /api/v1/properties/{site}: suppliers, store rooms, items, moves, purchase orders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from cloud.auth.audit import audit
from cloud.auth.deps import require_role
from cloud.auth.roles import Principal, Role
from cloud.auth.scope import SiteScopeDep
from cloud.core.deps import ClockDep, ServicesDep, SessionsDep
from cloud.operations.inventory import ordering, service
from cloud.operations.inventory.models import Item, PurchaseOrder, StoreRoom, Supplier
from cloud.operations.inventory.stock import MoveKind
from cloud.operations.requests.service import property_of
from cloud.operations.schemas import ID, SLUG, ItemBody, MoveInBody, StoreBody, SupplierBody

router = APIRouter(prefix="/api/v1/properties/{site}", tags=["inventory"])
Site = Annotated[str, Path(pattern=SLUG)]
AnId = Annotated[str, Path(pattern=ID)]
Store = Annotated[
    Principal,
    require_role(Role.HOUSEKEEPING, Role.STOREKEEPER, Role.MANAGER, Role.CHAIN_ADMIN, Role.FRONT_DESK),
]
# Who sets up the store: suppliers, store rooms, items (the storekeeper and the managers).
Manager = Annotated[Principal, require_role(Role.STOREKEEPER, Role.MANAGER, Role.CHAIN_ADMIN)]


def item_json(item: Item, store: StoreRoom | None = None, on_order: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": item.id,
        "sku": item.sku,
        "name": item.name,
        "category": item.category,
        "on_hand": item.on_hand,
        "minimum": item.minimum,
        "maximum": item.maximum,
        "pack_size": item.pack_size,
        "pack_price_minor": item.pack_price_minor,
        "sale_price_minor": item.sale_price_minor,
        "currency": item.currency,
    }
    if store is not None:
        out["store"] = store.code
    if on_order is not None:
        out["on_order"] = on_order
    return out


def order_json(order: PurchaseOrder, supplier: Supplier) -> dict[str, Any]:
    return {
        "id": order.id,
        "number": order.number,
        "supplier": supplier.code,
        "status": order.status,
        "automatic": order.automatic,
        "total_minor": order.total_minor,
        "currency": order.currency,
        "expected_on": order.expected_on.isoformat(),
    }


@router.post("/suppliers", status_code=201)
def add_supplier(
    site: Site, body: SupplierBody, user: Manager, scope: SiteScopeDep, sessions: SessionsDep
) -> dict[str, Any]:
    scope.check(site)
    with sessions.begin() as session:
        row = service.add_supplier(session, site=site, **body.model_dump())
        audit(session, user, "supplier.add", "supplier", row.id, {"code": row.code}, site=site)
        return {"id": row.id, **body.model_dump()}


@router.post("/store-rooms", status_code=201)
def add_store(
    site: Site, body: StoreBody, user: Manager, scope: SiteScopeDep, sessions: SessionsDep
) -> dict[str, Any]:
    scope.check(site)
    with sessions.begin() as session:
        row = service.add_store(session, site=site, **body.model_dump())
        audit(session, user, "store_room.add", "store_room", row.id, {"code": row.code}, site=site)
        return {"id": row.id, **body.model_dump()}


@router.post("/items", status_code=201)
def add_item(
    site: Site, body: ItemBody, user: Manager, scope: SiteScopeDep, sessions: SessionsDep
) -> dict[str, Any]:
    scope.check(site)
    with sessions.begin() as session:
        row = service.add_item(session, site=site, body=service.ItemIn(**body.model_dump()))
        audit(session, user, "item.add", "item", row.id, {"sku": row.sku}, site=site)
        return item_json(row)


@router.get("/items")
def list_items(site: Site, user: Store, scope: SiteScopeDep, sessions: SessionsDep) -> list[dict[str, Any]]:
    scope.check(site)
    with sessions() as session:
        return [item_json(i, s, o) for i, s, o in service.items_of(session, site=site)]


@router.post("/items/{item_id}/moves", status_code=201)
def add_move(
    site: Site,
    item_id: AnId,
    body: MoveInBody,
    user: Store,
    scope: SiteScopeDep,
    sessions: SessionsDep,
    services: ServicesDep,
    clock: ClockDep,
) -> dict[str, Any]:
    """Received, issued, consumed (minibar: charged to the stay), wasted or counted; may raise an order."""
    scope.check(site)
    with sessions.begin() as session:
        move, order = service.move(
            session,
            site=site,
            item_id=item_id,
            actor=user.username,
            now=clock(),
            billing=services.settings.billing,
            body=service.MoveIn(
                kind=MoveKind(body.kind),
                quantity=body.quantity,
                reservation_id=body.reservation_id,
                place=body.place,
            ),
        )
        audit(session, user, f"stock.{body.kind}", "item", item_id, {"quantity": body.quantity}, site=site)
        return {
            "id": move.id,
            "kind": move.kind,
            "quantity": move.quantity,
            "on_hand": move.on_hand_after,
            "purchase_order_id": order,
        }


@router.get("/purchase-orders")
def list_orders(site: Site, user: Store, scope: SiteScopeDep, sessions: SessionsDep) -> list[dict[str, Any]]:
    scope.check(site)
    with sessions() as session:
        prop = property_of(session, site)
        return [order_json(o, s) for o, s in ordering.orders_of(session, prop=prop)]


@router.post("/purchase-orders/{order_id}/receive")
def receive(
    site: Site, order_id: AnId, user: Store, scope: SiteScopeDep, sessions: SessionsDep, clock: ClockDep
) -> dict[str, Any]:
    """The delivery arrived: stock in, order closed, its cost a supplies expense in the reports."""
    scope.check(site)
    with sessions.begin() as session:
        prop = property_of(session, site)
        order = ordering.receive(session, prop=prop, order_id=order_id, actor=user.username, now=clock())
        audit(
            session,
            user,
            "purchase_order.receive",
            "purchase_order",
            order.id,
            {"number": order.number},
            site=site,
        )
        supplier = session.get(Supplier, order.supplier_id)
        assert supplier is not None
        return order_json(order, supplier)
