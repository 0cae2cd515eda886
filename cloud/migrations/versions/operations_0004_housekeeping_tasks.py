"""Operations: housekeeping tasks per room and day, and the floors each housekeeper covers.

Revision ID: operations_0004
Revises: operations_0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "operations_0004"
down_revision = "operations_0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
T = "housekeeping_tasks"


def upgrade() -> None:
    op.create_table(
        T,
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("floor", sa.String(63), nullable=False),
        sa.Column("room", sa.String(63), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("assignee", sa.String(100), nullable=True),
        sa.Column("expected_minutes", sa.Integer(), nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{T}")),
        sa.UniqueConstraint("site", "room", "day", "kind", name="uq_housekeeping_tasks_room_day_kind"),
        sa.CheckConstraint(
            "kind IN ('departure', 'stayover', 'inspection', 'turndown')", name=op.f(f"ck_{T}_kind")
        ),
        sa.CheckConstraint("state IN ('open', 'started', 'done')", name=op.f(f"ck_{T}_state")),
        sa.CheckConstraint("minutes IS NULL OR minutes > 0", name=op.f(f"ck_{T}_minutes")),
    )
    op.create_index("ix_housekeeping_tasks_site_day", T, ["site", "day"])
    op.create_table(
        "housekeeping_roster",
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("floors", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.PrimaryKeyConstraint("site", "username", name=op.f("pk_housekeeping_roster")),
    )


def downgrade() -> None:
    op.drop_table("housekeeping_roster")
    op.drop_table(T)
