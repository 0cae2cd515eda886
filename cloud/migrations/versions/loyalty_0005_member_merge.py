"""Loyalty: a membership emptied by a profile merge names the membership it was folded into; a
promotion pushed to a property says when its prices were derived from the base plan.

Revision ID: loyalty_0005
Revises: loyalty_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "loyalty_0005"
down_revision = "loyalty_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("loyalty_members") as batch:
        batch.add_column(sa.Column("merged_into", sa.String(26), nullable=True))
    with op.batch_alter_table("loyalty_promotion_sites") as batch:
        batch.add_column(sa.Column("priced_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE loyalty_promotion_sites SET priced_at = changed_at")  # pushed: priced then or since


def downgrade() -> None:
    with op.batch_alter_table("loyalty_promotion_sites") as batch:
        batch.drop_column("priced_at")
    with op.batch_alter_table("loyalty_members") as batch:
        batch.drop_column("merged_into")
