"""Property nodes: the events each node sent (node_events) and their replay verdicts
(node_outcomes: applied, or held for staff with the conflict rules' findings).

Revision ID: node_0002
Revises: node_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "node_0002"
down_revision = "node_0001"
branch_labels = None
depends_on = None


JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "node_events",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("node", sa.String(63), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node_events")),
        sa.UniqueConstraint("site", "node", "seq", name="uq_node_events_seq"),
    )
    op.create_table(
        "node_outcomes",
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("node", sa.String(63), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("reservation_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("walk_in", sa.Boolean(), nullable=False),
        sa.Column("findings", JSON, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("action IN ('apply', 'hold')", name=op.f("ck_node_outcomes_action")),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_node_outcomes")),
        sa.UniqueConstraint("site", "node", "seq", name="uq_node_outcomes_seq"),
    )


def downgrade() -> None:
    op.drop_table("node_outcomes")
    op.drop_table("node_events")
