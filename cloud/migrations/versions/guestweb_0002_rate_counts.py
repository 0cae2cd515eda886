"""Guest self-service: the per-client request counts every HTTP worker shares.

Revision ID: guestweb_0002
Revises: guestweb_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "guestweb_0002"
down_revision = "guestweb_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guestweb_rate_counts",
        sa.Column("key", sa.String(120), primary_key=True),
        sa.Column("window", sa.BigInteger, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("guestweb_rate_counts")
