"""Operations: a guest's Telegram chat tied to their stay, for requests by message.

Revision ID: operations_0008
Revises: operations_0007
"""

import sqlalchemy as sa
from alembic import op

revision = "operations_0008"
down_revision = "operations_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ops_chat_links",
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("address", sa.String(64), primary_key=True),
        sa.Column("reservation_id", sa.String(26), sa.ForeignKey("reservations.id"), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ops_chat_links")
