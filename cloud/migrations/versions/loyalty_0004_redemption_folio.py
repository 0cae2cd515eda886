"""Loyalty: a redemption names the folio line that credited its stay, and when it was reversed.

Revision ID: loyalty_0004
Revises: loyalty_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "loyalty_0004"
down_revision = "loyalty_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("loyalty_redemptions") as batch:
        batch.add_column(sa.Column("folio_charge_id", sa.String(26), nullable=True))
        batch.add_column(sa.Column("folio_kind", sa.String(16), nullable=True))
        batch.add_column(sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("loyalty_redemptions") as batch:
        batch.drop_column("reversed_at")
        batch.drop_column("folio_kind")
        batch.drop_column("folio_charge_id")
