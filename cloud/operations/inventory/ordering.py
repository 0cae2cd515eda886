"""Purchase orders: raised by themselves when an item falls below its minimum (sent to the
supplier by email on the outbox), received against the order, and booked as a supplies expense."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.catalog.models import Property
from cloud.notify.outbox import enqueue
from cloud.operations.errors import OperationConflict, UnknownThing
from cloud.operations.inventory.models import Item, PurchaseOrder, PurchaseOrderLine, StockMove, Supplier
from cloud.operations.inventory.stock import ReorderPoint, reorder_packs
from cloud.reports.expenses import ExpenseIn, add_expense
from mqtt.envelope import new_id


def on_order(session: Session, item_id: str) -> int:
    """Units of the item on orders sent and not yet received."""
    total = session.scalar(
        select(func.sum(PurchaseOrderLine.packs * PurchaseOrderLine.pack_size))
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrderLine.item_id == item_id, PurchaseOrder.status == "sent")
    )
    return int(total or 0)


def _number(session: Session, prop: Property, now: datetime) -> str:
    count = session.scalar(select(func.count()).where(PurchaseOrder.property_id == prop.id)) or 0
    return f"PO-{now:%Y%m%d}-{count + 1:04d}"


def reorder_if_low(session: Session, *, prop: Property, item: Item, now: datetime) -> str | None:
    """Raise an order when stock plus what is on order fell below the minimum; its id, or None."""
    if item.supplier_id is None:
        return None
    point = ReorderPoint(item.minimum, item.maximum, item.pack_size)
    packs = reorder_packs(point, on_hand=item.on_hand, on_order=on_order(session, item.id))
    if packs == 0:
        return None
    supplier = session.get(Supplier, item.supplier_id)
    assert supplier is not None
    order = PurchaseOrder(
        id=new_id(),
        property_id=prop.id,
        supplier_id=supplier.id,
        number=_number(session, prop, now),
        status="sent",
        automatic=True,
        total_minor=packs * item.pack_price_minor,
        currency=item.currency,
        expected_on=(now + timedelta(days=supplier.lead_days)).date(),
        created_at=now,
    )
    session.add(order)
    session.add(
        PurchaseOrderLine(
            id=new_id(),
            order_id=order.id,
            item_id=item.id,
            packs=packs,
            pack_size=item.pack_size,
            pack_price_minor=item.pack_price_minor,
        )
    )
    session.flush()
    _send(session, prop=prop, supplier=supplier, order=order, lines=[(item, packs)], now=now)
    return order.id


def _send(
    session: Session,
    *,
    prop: Property,
    supplier: Supplier,
    order: PurchaseOrder,
    lines: list[tuple[Item, int]],
    now: datetime,
) -> None:
    body = [
        f"Purchase order {order.number} from {prop.name}",
        "",
        *(
            f"{item.sku}  {item.name}: {packs} pack(s) of {item.pack_size}, "
            f"{item.pack_price_minor * packs / 100:.2f} {item.currency}"
            for item, packs in lines
        ),
        "",
        f"Total: {order.total_minor / 100:.2f} {order.currency}",
        f"Expected by {order.expected_on.isoformat()}. Please quote {order.number} on delivery and invoice.",
    ]
    enqueue(
        session,
        channel="email",
        recipient=supplier.email,
        template="purchase_order",
        language="en",
        payload={
            "text": "\n".join(body),
            "params": [order.number],
            "subject": f"Purchase order {order.number} - {prop.name}",
        },
        dedupe_key=f"purchase-order:{order.id}",
        now=now,
        site=prop.slug,
    )


def receive(session: Session, *, prop: Property, order_id: str, actor: str, now: datetime) -> PurchaseOrder:
    """Every line into stock, the order closed, its cost an expense (a supplier invoice) of the day."""
    order = session.get(PurchaseOrder, order_id)
    if order is None or order.property_id != prop.id:
        raise UnknownThing(f"no purchase order {order_id} at {prop.slug}")
    if order.status != "sent":
        raise OperationConflict(f"order {order.number} is {order.status}")
    for line in session.scalars(select(PurchaseOrderLine).where(PurchaseOrderLine.order_id == order.id)):
        item = session.get(Item, line.item_id)
        assert item is not None
        item.on_hand += line.packs * line.pack_size
        session.add(
            StockMove(
                id=new_id(),
                item_id=item.id,
                kind="received",
                quantity=line.packs * line.pack_size,
                on_hand_after=item.on_hand,
                reservation_id=None,
                place="",
                order_id=order.id,
                at=now,
                by=actor[:100],
            )
        )
    order.status, order.received_at = "received", now
    supplier = session.get(Supplier, order.supplier_id)
    assert supplier is not None
    if order.total_minor > 0:
        add_expense(
            session,
            site=prop.slug,
            actor=actor,
            now=now,
            entry=ExpenseIn(
                category="supplies",
                kind="supplier_invoice",
                incurred_on=now.astimezone(ZoneInfo(prop.timezone)).date(),
                amount_minor=order.total_minor,
                currency=order.currency,
                supplier=supplier.name,
                reference=order.number,
                description=f"purchase order {order.number}",
            ),
        )
    session.flush()
    return order


def orders_of(session: Session, *, prop: Property) -> list[tuple[PurchaseOrder, Supplier]]:
    rows = session.execute(
        select(PurchaseOrder, Supplier)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .where(PurchaseOrder.property_id == prop.id)
        .order_by(PurchaseOrder.created_at.desc())
    ).all()
    return [(r[0], r[1]) for r in rows]
