"""Guests: encrypted personal data, blind indexes, name tokens, stay history.

Revision ID: guests_0001
Revises: 0001_board
"""

import sqlalchemy as sa
from alembic import op

revision = "guests_0001"
down_revision = "0001_board"
branch_labels = ("guests",)
depends_on = None

TS = sa.DateTime(timezone=True)
ENCRYPTED = ("name_enc", "email_enc", "phone_enc", "document_enc", "details_enc", "preferences_enc",
             "notes_enc")
INDEXES = ("name_bidx", "email_bidx", "phone_bidx", "document_bidx")


def upgrade() -> None:
    op.create_table(
        "guests",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("site", sa.String(63), nullable=False, index=True),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("frequent_since", TS, nullable=True),
        sa.Column("stays_count", sa.Integer, nullable=False),
        sa.Column("nights_count", sa.Integer, nullable=False),
        *[sa.Column(name, sa.Text, nullable=True) for name in ENCRYPTED],
        *[sa.Column(name, sa.String(40), nullable=True) for name in INDEXES],
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("erased_at", TS, nullable=True),
        sa.Column("merged_into", sa.String(26), sa.ForeignKey("guests.id"), nullable=True),
        sa.CheckConstraint("tier IN ('normal', 'frequent')", name="tier"),
        sa.CheckConstraint("stays_count >= 0 AND nights_count >= 0", name="counts"),
        sa.CheckConstraint("merged_into IS NULL OR merged_into <> id", name="merge_self"),
    )
    for name in INDEXES:
        op.create_index(f"ix_guests_{name}", "guests", ["site", name])
    op.create_table(
        "guest_name_tokens",
        sa.Column("guest_id", sa.String(26), sa.ForeignKey("guests.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("token", sa.String(40), primary_key=True, index=True),
    )
    op.create_table(
        "guest_stays",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("guest_id", sa.String(26), sa.ForeignKey("guests.id"), nullable=False, index=True),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("reservation_id", sa.String(26), nullable=True, unique=True),
        sa.Column("arrival", sa.Date, nullable=False),
        sa.Column("departure", sa.Date, nullable=False),
        sa.Column("nights", sa.Integer, nullable=False),
        sa.Column("spend_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.CheckConstraint("departure > arrival", name="dates"),
        sa.CheckConstraint("nights > 0", name="nights"),
        sa.CheckConstraint("spend_minor >= 0", name="spend"),
    )


def downgrade() -> None:
    for table in ("guest_stays", "guest_name_tokens", "guests"):
        op.drop_table(table)
