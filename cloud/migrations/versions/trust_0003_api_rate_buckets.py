"""Trust: API token buckets shared by every HTTP worker (``api_rate_buckets``); UNLOGGED on
PostgreSQL (a crash may forget them: a count of the last seconds, not a record).

Revision ID: trust_0003
Revises: trust_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "trust_0003"
down_revision = "trust_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_rate_buckets",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE api_rate_buckets SET UNLOGGED")


def downgrade() -> None:
    op.drop_table("api_rate_buckets")
