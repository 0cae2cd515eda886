"""Operations: service types and guest service requests.

Revision ID: operations_0001
Revises: setup_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "operations_0001"
down_revision = "setup_0001"
branch_labels = ("operations",)
depends_on = None

DEPARTMENTS = ("housekeeping", "food", "transport", "laundry", "maintenance", "concierge")
STATES = ("new", "accepted", "in_progress", "done", "cancelled")
SOURCES = ("desk", "guest", "message")
TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "ops_service_types",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("department", sa.String(16), nullable=False),
        sa.Column("names", JSON, nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("charge_kind", sa.String(16), nullable=False),
        sa.Column("promise_minutes", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(f"department IN {DEPARTMENTS!r}", name=op.f("ck_ops_service_types_department")),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_ops_service_types_price")),
        sa.CheckConstraint("promise_minutes > 0", name=op.f("ck_ops_service_types_promise")),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            ondelete="CASCADE",
            name=op.f("fk_ops_service_types_property_id_properties"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_service_types")),
        sa.UniqueConstraint("property_id", "code", name="uq_ops_service_types_code"),
    )
    op.create_table(
        "ops_service_requests",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.String(26), nullable=False),
        sa.Column("department", sa.String(16), nullable=False),
        sa.Column("reservation_id", sa.String(26), nullable=True),
        sa.Column("room", sa.String(63), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(400), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("assignee", sa.String(100), nullable=True),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("escalated_at", TS, nullable=True),
        sa.Column("charged_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(f"state IN {STATES!r}", name=op.f("ck_ops_service_requests_state")),
        sa.CheckConstraint(f"source IN {SOURCES!r}", name=op.f("ck_ops_service_requests_source")),
        sa.CheckConstraint("quantity BETWEEN 1 AND 99", name=op.f("ck_ops_service_requests_quantity")),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            ondelete="CASCADE",
            name=op.f("fk_ops_service_requests_property_id_properties"),
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["ops_service_types.id"],
            name=op.f("fk_ops_service_requests_type_id_ops_service_types"),
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_ops_service_requests_reservation_id_reservations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_service_requests")),
    )
    op.create_index(
        "ix_ops_service_requests_board", "ops_service_requests", ["property_id", "department", "state"]
    )


def downgrade() -> None:
    op.drop_table("ops_service_requests")
    op.drop_table("ops_service_types")
