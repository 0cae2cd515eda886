"""Guest self-service: extras of the property's service catalogue offered when booking, and the
extras each online booking chose.

Revision ID: guestweb_0003
Revises: guestweb_0002 (depends on operations_0001, which holds the service catalogue)
"""

import sqlalchemy as sa
from alembic import op

revision = "guestweb_0003"
down_revision = "guestweb_0002"
branch_labels = None
depends_on = ("operations_0001",)


def upgrade() -> None:
    op.create_table(
        "guestweb_booking_extras",
        sa.Column("service_type_id", sa.String(26), sa.ForeignKey("ops_service_types.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("property_id", sa.Integer, sa.ForeignKey("properties.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("per", sa.String(12), nullable=False),
        sa.CheckConstraint("per IN ('stay', 'night', 'night_person')", name="per"),
    )
    op.create_index("ix_guestweb_booking_extras_property_id", "guestweb_booking_extras", ["property_id"])
    op.create_table(
        "guestweb_booked_extras",
        sa.Column("reservation_id", sa.String(26), sa.ForeignKey("reservations.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("charge_kind", sa.String(16), nullable=False),
        sa.Column("unit_minor", sa.BigInteger, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("unit_minor > 0 AND quantity > 0", name="positive"),
    )


def downgrade() -> None:
    op.drop_table("guestweb_booked_extras")
    op.drop_index("ix_guestweb_booking_extras_property_id", "guestweb_booking_extras")
    op.drop_table("guestweb_booking_extras")
