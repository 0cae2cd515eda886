"""Loyalty: chain promotions pushed to properties (each a rate plan there), offer codes and their
uses, and each chain's own earning rules.

Revision ID: loyalty_0003
Revises: loyalty_0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "loyalty_0003"
down_revision = "loyalty_0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "loyalty_promotions",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("chain", sa.String(63), nullable=False),
        sa.Column("code", sa.String(24), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("names", JSON, nullable=False),
        sa.Column("base_plan", sa.String(32), nullable=False),
        sa.Column("room_types", JSON, nullable=False),
        sa.Column("price_rule", sa.String(16), nullable=False),
        sa.Column("price_value", sa.Integer(), nullable=False),
        sa.Column("stay_from", sa.Date(), nullable=False),
        sa.Column("stay_until", sa.Date(), nullable=False),
        sa.Column("weekdays", JSON, nullable=True),
        sa.Column("min_nights", sa.Integer(), nullable=False),
        sa.Column("extras", JSON, nullable=False),
        sa.Column("code_only", sa.Boolean(), nullable=False),
        sa.Column("opt_out", sa.Boolean(), nullable=False),
        sa.Column("multiplier_pct", sa.Integer(), nullable=False),
        sa.Column("bonus_points", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint(
            "kind IN ('package', 'member_rate', 'seasonal', 'birthday')",
            name=op.f("ck_loyalty_promotions_kind"),
        ),
        sa.CheckConstraint(
            "price_rule IN ('percent_off', 'amount_off', 'fixed')",
            name=op.f("ck_loyalty_promotions_price_rule"),
        ),
        sa.CheckConstraint(
            "stay_until > stay_from AND min_nights >= 1 AND price_value >= 0",
            name=op.f("ck_loyalty_promotions_ranges"),
        ),
        sa.CheckConstraint(
            "multiplier_pct BETWEEN 100 AND 1000 AND bonus_points >= 0",
            name=op.f("ck_loyalty_promotions_points"),
        ),
        sa.CheckConstraint("status IN ('active', 'withdrawn')", name=op.f("ck_loyalty_promotions_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_promotions")),
        sa.UniqueConstraint("chain", "code", name=op.f("uq_loyalty_promotions_chain")),
    )
    op.create_index(op.f("ix_loyalty_promotions_chain"), "loyalty_promotions", ["chain"])
    op.create_table(
        "loyalty_promotion_sites",
        sa.Column("promotion_id", sa.String(26), nullable=False),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("rate_plan_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("changed_by", sa.String(80), nullable=False),
        sa.Column("changed_at", TS, nullable=False),
        sa.CheckConstraint(
            "state IN ('active', 'opted_out', 'withdrawn')", name=op.f("ck_loyalty_promotion_sites_state")
        ),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["loyalty_promotions.id"],
            name=op.f("fk_loyalty_promotion_sites_promotion_id_loyalty_promotions"),
        ),
        sa.ForeignKeyConstraint(
            ["rate_plan_id"],
            ["rate_plans.id"],
            name=op.f("fk_loyalty_promotion_sites_rate_plan_id_rate_plans"),
        ),
        sa.PrimaryKeyConstraint("promotion_id", "site", name=op.f("pk_loyalty_promotion_sites")),
    )
    op.create_index(
        op.f("ix_loyalty_promotion_sites_rate_plan_id"), "loyalty_promotion_sites", ["rate_plan_id"]
    )
    op.create_table(
        "loyalty_offer_codes",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("promotion_id", sa.String(26), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("hint", sa.String(8), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("guest_id", sa.String(26), nullable=True),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint(
            "max_uses >= 1 AND uses BETWEEN 0 AND max_uses", name=op.f("ck_loyalty_offer_codes_uses")
        ),
        sa.ForeignKeyConstraint(
            ["promotion_id"],
            ["loyalty_promotions.id"],
            name=op.f("fk_loyalty_offer_codes_promotion_id_loyalty_promotions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_offer_codes")),
        sa.UniqueConstraint("digest", name=op.f("uq_loyalty_offer_codes_digest")),
    )
    op.create_index(op.f("ix_loyalty_offer_codes_promotion_id"), "loyalty_offer_codes", ["promotion_id"])
    op.create_table(
        "loyalty_offer_uses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code_id", sa.String(26), nullable=False),
        sa.Column("reservation_id", sa.String(26), nullable=False),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("used_at", TS, nullable=False),
        sa.Column("released_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["code_id"],
            ["loyalty_offer_codes.id"],
            name=op.f("fk_loyalty_offer_uses_code_id_loyalty_offer_codes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_offer_uses")),
    )
    op.create_index(op.f("ix_loyalty_offer_uses_code_id"), "loyalty_offer_uses", ["code_id"])
    op.create_index(
        "uq_loyalty_offer_uses_reservation", "loyalty_offer_uses", ["reservation_id"], unique=True
    )
    op.create_table(
        "loyalty_chain_rules",
        sa.Column("chain", sa.String(63), nullable=False),
        sa.Column("rules", JSON, nullable=False),
        sa.Column("updated_by", sa.String(80), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_loyalty_chain_rules")),
    )


def downgrade() -> None:
    for table in (
        "loyalty_chain_rules",
        "loyalty_offer_uses",
        "loyalty_offer_codes",
        "loyalty_promotion_sites",
        "loyalty_promotions",
    ):
        op.drop_table(table)
