"""Keycards: several cards per stay (guest number, encoded tag), desk stations and encode jobs.

Revision ID: cards_0001
Revises: reservations_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "cards_0001"
down_revision = "reservations_0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("stay_credentials") as batch:
        # Companions' cards share the sequence of the room: only the card that starts a sequence
        # must be unique per room (a partial unique index below).
        batch.drop_constraint("uq_stay_credentials_room_sequence", type_="unique")
        batch.add_column(sa.Column("guest", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("starts_sequence", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("pending_card", sa.Text(), nullable=True))
        batch.add_column(sa.Column("encoded_uid", sa.String(20), nullable=True))
        batch.add_column(sa.Column("encoded_at", TS, nullable=True))
        batch.create_check_constraint(op.f("ck_stay_credentials_guest_number"), "guest BETWEEN 1 AND 255")
    op.create_index(
        "uq_stay_credentials_sequence_start",
        "stay_credentials",
        ["room_id", "sequence"],
        unique=True,
        sqlite_where=sa.text("starts_sequence = 1"),
        postgresql_where=sa.text("starts_sequence"),
    )
    op.create_table(
        "desk_stations",
        sa.Column("site", sa.String(63), primary_key=True),
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("last_user", sa.String(64), nullable=False),
    )
    op.create_table(
        "encode_jobs",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("station", sa.String(40), nullable=False),
        sa.Column("credential_id", sa.String(64), sa.ForeignKey("stay_credentials.id"), nullable=False),
        sa.Column("reservation_id", sa.String(26), sa.ForeignKey("reservations.id"), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("pickup_by", TS, nullable=False),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("result_by", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("uid", sa.String(20), nullable=True),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("detail", sa.String(200), nullable=True),
        sa.CheckConstraint(
            "state IN ('waiting', 'claimed', 'encoded', 'failed', 'expired', 'cancelled')",
            name=op.f("ck_encode_jobs_state"),
        ),
    )
    op.create_index("ix_encode_jobs_station", "encode_jobs", ["site", "station", "state", "created_at"])
    op.create_index("ix_encode_jobs_reservation", "encode_jobs", ["reservation_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_encode_jobs_reservation", table_name="encode_jobs")
    op.drop_index("ix_encode_jobs_station", table_name="encode_jobs")
    op.drop_table("encode_jobs")
    op.drop_table("desk_stations")
    op.drop_index("uq_stay_credentials_sequence_start", table_name="stay_credentials")
    with op.batch_alter_table("stay_credentials") as batch:
        batch.drop_constraint(op.f("ck_stay_credentials_guest_number"), type_="check")
        for column in ("encoded_at", "encoded_uid", "pending_card", "starts_sequence", "guest"):
            batch.drop_column(column)
        batch.create_unique_constraint("uq_stay_credentials_room_sequence", ["room_id", "sequence"])
