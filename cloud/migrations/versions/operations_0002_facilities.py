"""Operations: bookable facilities and their bookings.

Revision ID: operations_0002
Revises: operations_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "operations_0002"
down_revision = "operations_0001"
branch_labels = None
depends_on = None

AREAS = ("pool", "gym", "spa", "lounge", "business_centre")
TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "ops_facilities",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("names", JSON, nullable=False),
        sa.Column("area", sa.String(16), nullable=False),
        sa.Column("opens", sa.Time(), nullable=False),
        sa.Column("closes", sa.Time(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("charge_kind", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("bookings_version", sa.Integer(), nullable=False),
        sa.CheckConstraint(f"area IN {AREAS!r}", name=op.f("ck_ops_facilities_area")),
        sa.CheckConstraint("opens < closes", name=op.f("ck_ops_facilities_hours")),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_ops_facilities_capacity")),
        sa.CheckConstraint("slot_minutes > 0", name=op.f("ck_ops_facilities_slot")),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_ops_facilities_price")),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            ondelete="CASCADE",
            name=op.f("fk_ops_facilities_property_id_properties"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_facilities")),
        sa.UniqueConstraint("property_id", "code", name="uq_ops_facilities_code"),
    )
    op.create_table(
        "ops_facility_bookings",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("facility_id", sa.String(26), nullable=False),
        sa.Column("reservation_id", sa.String(26), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start_at", TS, nullable=False),
        sa.Column("end_at", TS, nullable=False),
        sa.Column("guests", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("credential_id", sa.String(16), nullable=False),
        sa.Column("card", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.CheckConstraint("start_at < end_at", name=op.f("ck_ops_facility_bookings_order")),
        sa.CheckConstraint("guests > 0", name=op.f("ck_ops_facility_bookings_guests")),
        sa.CheckConstraint("status IN ('booked', 'cancelled')", name=op.f("ck_ops_facility_bookings_status")),
        sa.CheckConstraint("source IN ('desk', 'guest')", name=op.f("ck_ops_facility_bookings_source")),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["ops_facilities.id"],
            ondelete="CASCADE",
            name=op.f("fk_ops_facility_bookings_facility_id_ops_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_ops_facility_bookings_reservation_id_reservations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_facility_bookings")),
    )
    op.create_index(
        "ix_ops_facility_bookings_slot", "ops_facility_bookings", ["facility_id", "day", "status"]
    )


def downgrade() -> None:
    op.drop_table("ops_facility_bookings")
    op.drop_table("ops_facilities")
