"""Telemetry: latest readings per room, alerts, maintenance tasks.

Revision ID: telemetry_0001
Revises: 0001_board
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "telemetry_0001"
down_revision = "0001_board"
branch_labels = ("telemetry",)
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "room_telemetry_latest",
        sa.Column("site", sa.String(63), primary_key=True),
        sa.Column("floor", sa.String(63), primary_key=True),
        sa.Column("room", sa.String(63), primary_key=True),
        sa.Column("readings", JSON, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "telemetry_alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("floor", sa.String(63), nullable=False),
        sa.Column("subject", sa.String(63), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("seen", sa.Integer, nullable=False, server_default="1"),
        sa.Column("closed_at", TS, nullable=True),
        sa.CheckConstraint("closed_at IS NULL OR closed_at >= opened_at",
                           name="ck_telemetry_alerts_closed_after_open"),
        sa.CheckConstraint("seen >= 1", name="ck_telemetry_alerts_seen_positive"),
    )
    op.create_index("uq_telemetry_alerts_open", "telemetry_alerts",
                    ["kind", "site", "floor", "subject"], unique=True,
                    postgresql_where=sa.text("closed_at IS NULL"),
                    sqlite_where=sa.text("closed_at IS NULL"))
    op.create_index("ix_telemetry_alerts_opened", "telemetry_alerts", ["opened_at"])
    op.create_table(
        "maintenance_tasks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("telemetry_alerts.id",
                  name="fk_maintenance_tasks_alert_id_telemetry_alerts"), nullable=False),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("floor", sa.String(63), nullable=False),
        sa.Column("room", sa.String(63), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.UniqueConstraint("alert_id", name="uq_maintenance_tasks_alert_id"),
        sa.CheckConstraint("status IN ('open', 'in_progress', 'done', 'cleared')",
                           name="ck_maintenance_tasks_status"),
        sa.CheckConstraint("(status IN ('done', 'cleared')) = (closed_at IS NOT NULL)",
                           name="ck_maintenance_tasks_closed_when_finished"),
    )
    op.create_index("ix_maintenance_tasks_status", "maintenance_tasks",
                    ["status", "site", "floor"])


def downgrade() -> None:
    for table in ("maintenance_tasks", "telemetry_alerts", "room_telemetry_latest"):
        op.drop_table(table)
