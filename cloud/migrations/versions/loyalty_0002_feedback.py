"""Loyalty: surveys after check-out and in the middle of a stay, with their answers.

Revision ID: loyalty_0002
Revises: loyalty_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "loyalty_0002"
down_revision = "loyalty_0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "loyalty_surveys",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("reservation_id", sa.String(26), nullable=False),
        sa.Column("guest_id", sa.String(26), nullable=False),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("answered_at", TS, nullable=True),
        sa.Column("scores", JSON, nullable=False),
        sa.Column("comment_enc", sa.Text(), nullable=True),
        sa.Column("low", sa.Boolean(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('mid_stay', 'post_stay')", name=op.f("ck_loyalty_surveys_kind")),
        sa.ForeignKeyConstraint(["guest_id"], ["guests.id"], name=op.f("fk_loyalty_surveys_guest_id_guests")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_surveys")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_loyalty_surveys_token_hash")),
    )
    for column in ("reservation_id", "guest_id", "site"):
        op.create_index(op.f(f"ix_loyalty_surveys_{column}"), "loyalty_surveys", [column])
    op.create_index(
        "uq_loyalty_surveys_reservation_kind", "loyalty_surveys", ["reservation_id", "kind"], unique=True
    )


def downgrade() -> None:
    op.drop_table("loyalty_surveys")
