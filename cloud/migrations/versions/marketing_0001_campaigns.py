"""Marketing: consent per guest profile, segments, campaigns and the messages they sent.

Revision ID: marketing_0001
Revises: setup_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "marketing_0001"
down_revision = "setup_0001"
branch_labels = ("marketing",)
depends_on = ("guests_0001",)  # consents and sends reference guests.id

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _text(name: str, length: int) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.String(length), nullable=False)


def upgrade() -> None:
    op.create_table(
        "marketing_consents",
        _text("guest_id", 26),
        _text("site", 63),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("whatsapp", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("unsubscribed_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["guest_id"], ["guests.id"], name=op.f("fk_marketing_consents_guest_id_guests")
        ),
        sa.PrimaryKeyConstraint("guest_id", name=op.f("pk_marketing_consents")),
    )
    op.create_index(op.f("ix_marketing_consents_site"), "marketing_consents", ["site"])
    op.create_table(
        "marketing_segments",
        _text("id", 26),
        _text("chain", 63),
        _text("name", 100),
        sa.Column("rules", JSON, nullable=False),
        _text("created_by", 80),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_segments")),
    )
    op.create_index(op.f("ix_marketing_segments_chain"), "marketing_segments", ["chain"])
    op.create_table(
        "marketing_campaigns",
        _text("id", 26),
        _text("segment_id", 26),
        _text("chain", 63),
        _text("name", 100),
        _text("channel", 16),
        sa.Column("texts", JSON, nullable=False),
        _text("whatsapp_template", 64),
        _text("offer_code", 32),
        _text("status", 16),
        _text("created_by", 80),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.CheckConstraint("channel IN ('email', 'whatsapp')", name=op.f("ck_marketing_campaigns_channel")),
        sa.CheckConstraint("status IN ('draft', 'sent')", name=op.f("ck_marketing_campaigns_status")),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["marketing_segments.id"],
            name=op.f("fk_marketing_campaigns_segment_id_marketing_segments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_campaigns")),
    )
    op.create_index(op.f("ix_marketing_campaigns_segment_id"), "marketing_campaigns", ["segment_id"])
    op.create_index(op.f("ix_marketing_campaigns_chain"), "marketing_campaigns", ["chain"])
    op.create_table(
        "marketing_sends",
        _text("id", 26),
        _text("campaign_id", 26),
        _text("guest_id", 26),
        _text("site", 63),
        _text("language", 8),
        sa.Column("sent_at", TS, nullable=False),
        sa.Column("opened_at", TS, nullable=True),
        sa.Column("revenue_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["marketing_campaigns.id"],
            name=op.f("fk_marketing_sends_campaign_id_marketing_campaigns"),
        ),
        sa.ForeignKeyConstraint(["guest_id"], ["guests.id"], name=op.f("fk_marketing_sends_guest_id_guests")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketing_sends")),
    )
    op.create_index(op.f("ix_marketing_sends_guest_id"), "marketing_sends", ["guest_id"])
    op.create_index(
        "uq_marketing_sends_campaign_guest", "marketing_sends", ["campaign_id", "guest_id"], unique=True
    )


def downgrade() -> None:
    for table in ("marketing_sends", "marketing_campaigns", "marketing_segments", "marketing_consents"):
        op.drop_table(table)
