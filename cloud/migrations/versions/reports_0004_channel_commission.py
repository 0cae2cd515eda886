"""Reports: a channel's commission rate (basis points of the room revenue it sold), for the P&L's
computed commissions.

Revision ID: reports_0004
Revises: reports_0003 (depends on channels_0001)
"""

import sqlalchemy as sa
from alembic import op

revision = "reports_0004"
down_revision = "reports_0003"
branch_labels = None
depends_on = ("channels_0001",)  # the channels table


def upgrade() -> None:
    op.add_column("channels", sa.Column("commission_bp", sa.Integer(), nullable=False, server_default="0"))
    if op.get_bind().dialect.name == "postgresql":  # SQLite adds no constraint to a table it keeps
        op.create_check_constraint("ck_channels_commission_range", "channels",
                                   "commission_bp BETWEEN 0 AND 10000")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("ck_channels_commission_range", "channels", type_="check")
    op.drop_column("channels", "commission_bp")  # SQLite (3.35+) drops it in place: the triggers stay
