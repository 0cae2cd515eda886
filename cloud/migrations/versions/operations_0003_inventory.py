"""Operations: store rooms, items, stock moves, suppliers and purchase orders.

Revision ID: operations_0003
Revises: operations_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "operations_0003"
down_revision = "operations_0002"
branch_labels = None
depends_on = None

MOVE_KINDS = ("received", "issued", "consumed", "wasted", "counted")
TS = sa.DateTime(timezone=True)
S26 = sa.String(26)


def _fk(table: str, column: str, target: str, *, cascade: bool = False) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        ondelete="CASCADE" if cascade else None,
        name=op.f(f"fk_{table}_{column}_{target}"),
    )


def _ck(table: str, name: str, text: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(text, name=op.f(f"ck_{table}_{name}"))


def upgrade() -> None:
    t = "ops_suppliers"
    op.create_table(
        t,
        sa.Column("id", S26, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(64), nullable=False),
        sa.Column("lead_days", sa.Integer(), nullable=False),
        _fk(t, "property_id", "properties", cascade=True),
        _ck(t, "lead", "lead_days >= 0"),
        sa.UniqueConstraint("property_id", "code", name="uq_ops_suppliers_code"),
    )
    t = "ops_store_rooms"
    op.create_table(
        t,
        sa.Column("id", S26, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        _fk(t, "property_id", "properties", cascade=True),
        sa.UniqueConstraint("property_id", "code", name="uq_ops_store_rooms_code"),
    )
    t = "ops_items"
    op.create_table(
        t,
        sa.Column("id", S26, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.Column("store_room_id", S26, nullable=False),
        sa.Column("sku", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("minimum", sa.Integer(), nullable=False),
        sa.Column("maximum", sa.Integer(), nullable=False),
        sa.Column("pack_size", sa.Integer(), nullable=False),
        sa.Column("supplier_id", S26, nullable=True),
        sa.Column("pack_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("sale_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _fk(t, "store_room_id", "ops_store_rooms", cascade=True),
        _fk(t, "supplier_id", "ops_suppliers"),
        _ck(t, "on_hand", "on_hand >= 0"),
        _ck(t, "reorder", "minimum >= 0 AND minimum < maximum"),
        _ck(t, "pack", "pack_size >= 1"),
        _ck(t, "prices", "pack_price_minor >= 0 AND sale_price_minor >= 0"),
        sa.UniqueConstraint("store_room_id", "sku", name="uq_ops_items_sku"),
    )
    t = "ops_purchase_orders"
    op.create_table(
        t,
        sa.Column("id", S26, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", S26, nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=True),
        _fk(t, "property_id", "properties", cascade=True),
        _fk(t, "supplier_id", "ops_suppliers"),
        _ck(t, "status", "status IN ('sent', 'received', 'cancelled')"),
        _ck(t, "total", "total_minor >= 0"),
        sa.UniqueConstraint("property_id", "number", name="uq_ops_purchase_orders_number"),
    )
    t = "ops_purchase_order_lines"
    op.create_table(
        t,
        sa.Column("id", S26, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.Column("order_id", S26, nullable=False),
        sa.Column("item_id", S26, nullable=False),
        sa.Column("packs", sa.Integer(), nullable=False),
        sa.Column("pack_size", sa.Integer(), nullable=False),
        sa.Column("pack_price_minor", sa.BigInteger(), nullable=False),
        _fk(t, "order_id", "ops_purchase_orders", cascade=True),
        _fk(t, "item_id", "ops_items"),
        _ck(t, "packs", "packs > 0 AND pack_size > 0"),
    )
    t = "ops_stock_moves"
    op.create_table(
        t,
        sa.Column("id", S26, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.Column("item_id", S26, nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("on_hand_after", sa.Integer(), nullable=False),
        sa.Column("reservation_id", S26, nullable=True),
        sa.Column("place", sa.String(63), nullable=False),
        sa.Column("order_id", S26, nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        _fk(t, "item_id", "ops_items", cascade=True),
        _fk(t, "reservation_id", "reservations"),
        _fk(t, "order_id", "ops_purchase_orders"),
        _ck(t, "kind", f"kind IN {MOVE_KINDS!r}"),
        _ck(t, "quantities", "quantity >= 0 AND on_hand_after >= 0"),
    )
    op.create_index("ix_ops_stock_moves_item_at", "ops_stock_moves", ["item_id", "at"])


def downgrade() -> None:
    for table in (
        "ops_stock_moves",
        "ops_purchase_order_lines",
        "ops_purchase_orders",
        "ops_items",
        "ops_store_rooms",
        "ops_suppliers",
    ):
        op.drop_table(table)
