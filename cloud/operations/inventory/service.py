"""Inventory: set-up, stock moves (minibar consumption charged), automatic reordering.

A move is checked whole by the pure core before anything is written; the item's row is updated
with a guard (``on_hand`` as read), so two moves at once cannot both take the last unit, and the
database's ``on_hand >= 0`` check holds whatever happens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cloud.billing.settings import BillingSettings
from cloud.catalog.models import Property
from cloud.operations.errors import InvalidOperation, OperationConflict, UnknownThing
from cloud.operations.folio_charge import charge_stay
from cloud.operations.inventory import ordering
from cloud.operations.inventory.models import Item, StockMove, StoreRoom, Supplier
from cloud.operations.inventory.stock import MoveKind, ReorderPoint, StockRefused, after_move
from cloud.operations.requests.service import property_of
from cloud.reservations.models import Reservation
from mqtt.envelope import new_id


@dataclass(frozen=True, slots=True)
class ItemIn:
    store: str
    sku: str
    name: str
    category: str
    minimum: int
    maximum: int
    pack_size: int
    supplier: str | None
    pack_price_minor: int
    sale_price_minor: int


@dataclass(frozen=True, slots=True)
class MoveIn:
    kind: MoveKind
    quantity: int
    reservation_id: str | None = None
    place: str = ""


def add_supplier(
    session: Session, *, site: str, code: str, name: str, email: str, lead_days: int
) -> Supplier:
    prop = property_of(session, site)
    if session.scalar(select(Supplier.id).where(Supplier.property_id == prop.id, Supplier.code == code)):
        raise OperationConflict(f"supplier {code!r} exists")
    row = Supplier(
        id=new_id(), property_id=prop.id, code=code, name=name.strip(), email=email, lead_days=lead_days
    )
    session.add(row)
    session.flush()
    return row


def add_store(session: Session, *, site: str, code: str, name: str) -> StoreRoom:
    prop = property_of(session, site)
    if session.scalar(select(StoreRoom.id).where(StoreRoom.property_id == prop.id, StoreRoom.code == code)):
        raise OperationConflict(f"store room {code!r} exists")
    row = StoreRoom(id=new_id(), property_id=prop.id, code=code, name=name.strip())
    session.add(row)
    session.flush()
    return row


def _by_code(session: Session, model: type[StoreRoom] | type[Supplier], prop: Property, code: str) -> str:
    found = session.scalar(select(model.id).where(model.property_id == prop.id, model.code == code))
    if found is None:
        raise UnknownThing(f"no {model.__tablename__[4:-1].replace('_', ' ')} {code!r} at {prop.slug}")
    return found


def add_item(session: Session, *, site: str, body: ItemIn) -> Item:
    prop = property_of(session, site)
    try:
        ReorderPoint(body.minimum, body.maximum, body.pack_size)
    except ValueError as exc:
        raise InvalidOperation(str(exc)) from None
    store = _by_code(session, StoreRoom, prop, body.store)
    supplier = _by_code(session, Supplier, prop, body.supplier) if body.supplier else None
    if session.scalar(select(Item.id).where(Item.store_room_id == store, Item.sku == body.sku)):
        raise OperationConflict(f"item {body.sku!r} exists in {body.store}")
    row = Item(
        id=new_id(),
        store_room_id=store,
        sku=body.sku,
        name=body.name.strip(),
        category=body.category,
        on_hand=0,
        minimum=body.minimum,
        maximum=body.maximum,
        pack_size=body.pack_size,
        supplier_id=supplier,
        pack_price_minor=body.pack_price_minor,
        sale_price_minor=body.sale_price_minor,
        currency=prop.currency,
    )
    session.add(row)
    session.flush()
    return row


def item_of(session: Session, prop: Property, item_id: str) -> Item:
    row = session.get(Item, item_id)
    store = session.get(StoreRoom, row.store_room_id) if row is not None else None
    if row is None or store is None or store.property_id != prop.id:
        raise UnknownThing(f"no item {item_id} at {prop.slug}")
    return row


def _guest(session: Session, prop: Property, item: Item, body: MoveIn) -> Reservation | None:
    if body.kind is not MoveKind.CONSUMED or item.sale_price_minor == 0:
        return None
    if body.reservation_id is None:
        raise InvalidOperation("a minibar item consumed is charged to an in-house stay (reservation_id)")
    res = session.get(Reservation, body.reservation_id)
    if res is None or res.property_id != prop.id:
        raise UnknownThing(f"no reservation {body.reservation_id} at {prop.slug}")
    return res


def move(
    session: Session,
    *,
    site: str,
    item_id: str,
    body: MoveIn,
    billing: BillingSettings,
    actor: str,
    now: datetime,
) -> tuple[StockMove, str | None]:
    """Record a move; returns it and the purchase order it set off (or None)."""
    prop = property_of(session, site)
    item = item_of(session, prop, item_id)
    try:
        left = after_move(on_hand=item.on_hand, kind=body.kind, quantity=body.quantity)
    except StockRefused as exc:
        raise OperationConflict(exc.detail, reason=exc.reason) from None
    res = _guest(session, prop, item, body)
    if res is not None:
        charge_stay(
            session,
            reservation=res,
            site=site,
            kind="minibar",
            description=item.name,
            unit_minor=item.sale_price_minor,
            quantity=body.quantity,
            currency=item.currency,
            billing=billing,
            now=now,
        )
    changed = session.execute(
        update(Item).where(Item.id == item.id, Item.on_hand == item.on_hand).values(on_hand=left)
    ).rowcount  # type: ignore[attr-defined]
    if changed != 1:
        raise OperationConflict("the stock changed meanwhile; try again", reason="changed")
    session.refresh(item)
    row = StockMove(
        id=new_id(),
        item_id=item.id,
        kind=body.kind.value,
        quantity=body.quantity,
        on_hand_after=left,
        reservation_id=res.id if res else None,
        place=body.place[:63],
        order_id=None,
        at=now,
        by=actor[:100],
    )
    session.add(row)
    session.flush()
    order = ordering.reorder_if_low(session, prop=prop, item=item, now=now)
    return row, order


def items_of(session: Session, *, site: str) -> list[tuple[Item, StoreRoom, int]]:
    """Every item with its store room and what is on order for it."""
    prop = property_of(session, site)
    rows = session.execute(
        select(Item, StoreRoom)
        .join(StoreRoom, StoreRoom.id == Item.store_room_id)
        .where(StoreRoom.property_id == prop.id)
        .order_by(StoreRoom.code, Item.sku)
    ).all()
    return [(r[0], r[1], ordering.on_order(session, r[0].id)) for r in rows]


def moves_count(session: Session, item_id: str) -> int:
    return int(session.scalar(select(func.count()).where(StockMove.item_id == item_id)) or 0)
