"""Operations: staff cards and punches at time clocks.

Revision ID: operations_0005
Revises: operations_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "operations_0005"
down_revision = "operations_0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ops_staff_cards",
        sa.Column("credential_id", sa.String(16), nullable=False),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("areas", sa.Integer(), nullable=False),
        sa.Column("shift_start", sa.Time(), nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("valid_until", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("card", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("credential_id", name=op.f("pk_ops_staff_cards")),
    )
    op.create_index("ix_ops_staff_cards_site_user", "ops_staff_cards", ["site", "username"])
    op.create_table(
        "ops_staff_punches",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("clock", sa.String(63), nullable=False),
        sa.Column("credential_id", sa.String(64), nullable=False),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ops_staff_punches")),
    )
    op.create_index("ix_ops_staff_punches_site_at", "ops_staff_punches", ["site", "at"])


def downgrade() -> None:
    op.drop_table("ops_staff_punches")
    op.drop_table("ops_staff_cards")
