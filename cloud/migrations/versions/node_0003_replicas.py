"""Property nodes: the last replica picture sent to each node (node_replicas), so the next one
carries only what changed.

Revision ID: node_0003
Revises: node_0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "node_0003"
down_revision = "node_0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "node_replicas",
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("node", sa.String(63), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("snapshot", JSON, nullable=False),
        sa.Column("full_needed", sa.Boolean(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("site", "node", name=op.f("pk_node_replicas")),
    )


def downgrade() -> None:
    op.drop_table("node_replicas")
