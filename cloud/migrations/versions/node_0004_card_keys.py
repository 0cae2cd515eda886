"""Property nodes: each node's registered keys (card key and sealing key) and the delegation of
its card key in force, renewed by the cloud (node_card_keys).

Revision ID: node_0004
Revises: node_0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "node_0004"
down_revision = "node_0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "node_card_keys",
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("node", sa.String(63), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("seal_key", sa.String(64), nullable=False),
        sa.Column("delegation", JSON, nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("key_id BETWEEN 61440 AND 65535", name=op.f("ck_node_card_keys_key_id")),
        sa.PrimaryKeyConstraint("site", "node", name=op.f("pk_node_card_keys")),
    )


def downgrade() -> None:
    op.drop_table("node_card_keys")
