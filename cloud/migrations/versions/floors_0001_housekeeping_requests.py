"""Housekeeping states asked of gateways, pending until the room's snapshot shows them.

Revision ID: floors_0001
Revises: 0002_commands
"""

import sqlalchemy as sa
from alembic import op

revision = "floors_0001"
down_revision = "0002_commands"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "housekeeping_requests",
        sa.Column("site", sa.String(63), primary_key=True),
        sa.Column("floor", sa.String(63), primary_key=True),
        sa.Column("room", sa.String(63), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=True),
        sa.Column("command_id", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("housekeeping_requests")
