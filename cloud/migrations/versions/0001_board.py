"""Gateways, room snapshots, events, rejection counters.

Revision ID: 0001_board
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001_board"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "gateways",
        sa.Column("site", sa.String(63), primary_key=True),
        sa.Column("floor", sa.String(63), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False, server_default="unknown"),
        sa.Column("version", sa.String(64), nullable=False, server_default=""),
        sa.Column("clock_offset_s", sa.Float, nullable=True),
        sa.Column("last_seen", TS, nullable=True),
        sa.Column("confirmed_seq", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "room_status",
        sa.Column("site", sa.String(63), primary_key=True),
        sa.Column("floor", sa.String(63), primary_key=True),
        sa.Column("room", sa.String(63), primary_key=True),
        sa.Column("occupied", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("guest_present", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("door", sa.String(16), nullable=False, server_default="unknown"),
        sa.Column("lock", sa.String(16), nullable=False, server_default="unknown"),
        sa.Column("dnd", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("housekeeping", sa.String(16), nullable=False, server_default="clean"),
        sa.Column("last_access_at", TS, nullable=True),
        sa.Column("last_access_granted", sa.Boolean, nullable=True),
        sa.Column("last_access_credential", sa.String(64), nullable=True),
        sa.Column("last_access_reason", sa.String(64), nullable=True),
        sa.Column("updated_at", TS, nullable=True),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("floor", sa.String(63), nullable=False),
        sa.Column("room", sa.String(63), nullable=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("ts", TS, nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=True),
        sa.Column("credential_id", sa.String(64), nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("dead_letter", sa.Text, nullable=True),
    )
    op.create_index("ix_events_room_ts", "events", ["site", "floor", "room", "ts"])
    op.create_index("ix_events_source_seq", "events", ["source", "seq"])
    op.create_index("ix_events_credential", "events", ["credential_id", "ts"])
    op.create_table(
        "mqtt_rejections",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("reason", sa.String(32), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_detail", sa.Text, nullable=False, server_default=""),
        sa.Column("last_at", TS, nullable=True),
    )


def downgrade() -> None:
    for table in ("mqtt_rejections", "events", "room_status", "gateways"):
        op.drop_table(table)
