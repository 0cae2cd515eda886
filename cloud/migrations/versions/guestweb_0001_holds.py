"""Guest self-service: holds of online bookings, the payment provider's events applied, the
hotel's own texts of guest emails, pre-check-ins, phone keys.

Revision ID: guestweb_0001
Revises: setup_0001
"""

import sqlalchemy as sa
from alembic import op

TS = sa.DateTime(timezone=True)


revision = "guestweb_0001"
down_revision = "setup_0001"
branch_labels = ("guestweb",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guestweb_holds",
        sa.Column("reservation_id", sa.String(26),
                  sa.ForeignKey("reservations.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("pay", sa.String(8), nullable=False),
        sa.Column("amount_minor", sa.Integer, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("checkout_session", sa.String(255), nullable=True, unique=True),
        sa.Column("checkout_url", sa.String(2000), nullable=True),
        sa.Column("checkout_expires_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("releases", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.CheckConstraint("state IN ('held', 'paid', 'released')", name="state"),
        sa.CheckConstraint("pay IN ('deposit', 'full')", name="pay"),
        sa.CheckConstraint("amount_minor >= 0", name="amount"),
    )
    op.create_index("ix_guestweb_holds_due", "guestweb_holds", ["state", "expires_at"])
    op.create_table(
        "guestweb_provider_events",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("received_at", TS, nullable=False),
    )


    op.create_table(
        "guestweb_email_templates",
        sa.Column("property_id", sa.Integer, sa.ForeignKey("properties.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("template", sa.String(32), primary_key=True),
        sa.Column("language", sa.String(8), primary_key=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "guestweb_precheckins",
        sa.Column("reservation_id", sa.String(26),
                  sa.ForeignKey("reservations.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("arrival_time", sa.String(5), nullable=False),
        sa.Column("signed_name", sa.String(200), nullable=False),
        sa.Column("document_until", TS, nullable=False),
        sa.Column("completed_at", TS, nullable=False),
        sa.Column("document_erased_at", TS, nullable=True),
        sa.Column("checked_in_at", TS, nullable=True),
    )
    op.create_table(
        "guestweb_phone_keys",
        sa.Column("credential_id", sa.String(64),
                  sa.ForeignKey("stay_credentials.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("reservation_id", sa.String(26),
                  sa.ForeignKey("reservations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("issued_at", TS, nullable=False),
    )
    op.create_index("ix_guestweb_phone_keys_reservation_id", "guestweb_phone_keys", ["reservation_id"])


def downgrade() -> None:
    op.drop_table("guestweb_phone_keys")
    op.drop_table("guestweb_precheckins")
    op.drop_table("guestweb_email_templates")
    op.drop_table("guestweb_provider_events")
    op.drop_index("ix_guestweb_holds_due", "guestweb_holds")
    op.drop_table("guestweb_holds")
