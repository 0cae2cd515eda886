"""Operations: a long stay's alerts for the desk (an automatic renewal that failed) and the
settlement of its deposit at the end (deductions and the refund).

Revision ID: operations_0009
Revises: operations_0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "operations_0009"
down_revision = "operations_0008"
branch_labels = None
depends_on = None
TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "ops_contract_alerts",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("reservation_id", sa.String(26), sa.ForeignKey("reservations.id"), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("about", sa.Date, nullable=False),
        sa.Column("detail", sa.String(300), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("resolved_at", TS, nullable=True),
        sa.Column("resolved_by", sa.String(100), nullable=True),
        sa.UniqueConstraint("reservation_id", "kind", "about", name="uq_ops_contract_alerts_once"),
        sa.CheckConstraint("kind IN ('renewal_failed')", name=op.f("ck_ops_contract_alerts_kind")),
    )
    op.create_index("ix_ops_contract_alerts_reservation_id", "ops_contract_alerts", ["reservation_id"])
    op.create_table(
        "ops_deposit_settlements",
        sa.Column("reservation_id", sa.String(26), sa.ForeignKey("reservations.id"), primary_key=True),
        sa.Column("held_minor", sa.BigInteger, nullable=False),
        sa.Column("deductions", JSON, nullable=False),
        sa.Column("deducted_minor", sa.BigInteger, nullable=False),
        sa.Column("refund_minor", sa.BigInteger, nullable=False),
        sa.Column("refunds", JSON, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("settled_at", TS, nullable=False),
        sa.Column("settled_by", sa.String(100), nullable=False),
        sa.CheckConstraint(
            "held_minor >= 0 AND deducted_minor >= 0 AND refund_minor BETWEEN 0 AND held_minor",
            name=op.f("ck_ops_deposit_settlements_amounts"),
        ),
    )


def downgrade() -> None:
    op.drop_table("ops_deposit_settlements")
    op.drop_index("ix_ops_contract_alerts_reservation_id", "ops_contract_alerts")
    op.drop_table("ops_contract_alerts")
