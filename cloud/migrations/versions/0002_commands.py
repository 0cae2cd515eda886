"""Durable commands to gateways.

Revision ID: 0002_commands
Revises: 0001_board
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002_commands"
down_revision = "0001_board"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "commands",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("floor", sa.String(63), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("acked_at", TS, nullable=True),
        sa.Column("ack_ok", sa.Boolean, nullable=True),
        sa.Column("ack_error", sa.Text, nullable=True),
    )
    op.create_index("ix_commands_pending", "commands", ["acked_at", "site", "floor"])


def downgrade() -> None:
    op.drop_table("commands")
