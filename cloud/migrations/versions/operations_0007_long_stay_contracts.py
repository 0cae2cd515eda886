"""Operations: long stays billed by contract (terms, bills per cycle, meter readings, parcels).

Revision ID: operations_0007
Revises: operations_0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "operations_0007"
down_revision = "operations_0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _contract() -> sa.ForeignKey:
    return sa.ForeignKey("long_stay_contracts.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "ops_contract_terms",
        sa.Column("contract_id", sa.String(26), _contract(), primary_key=True),
        sa.Column("cycle", sa.String(8), nullable=False),
        sa.Column("rate_minor", sa.BigInteger(), nullable=False),
        sa.Column("deposit_minor", sa.BigInteger(), nullable=False),
        sa.Column("notice_days", sa.Integer(), nullable=False),
        sa.Column("auto_renew", sa.Boolean(), nullable=False),
        sa.Column("utility_prices", JSON, nullable=False),
        sa.Column("service_prices", JSON, nullable=False),
        sa.Column("notice_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.CheckConstraint("cycle IN ('monthly', 'weekly')", name=op.f("ck_ops_contract_terms_cycle")),
        sa.CheckConstraint(
            "rate_minor >= 0 AND deposit_minor >= 0", name=op.f("ck_ops_contract_terms_amounts")
        ),
        sa.CheckConstraint("notice_days BETWEEN 0 AND 365", name=op.f("ck_ops_contract_terms_notice")),
    )
    op.create_table(
        "ops_contract_bills",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("contract_id", sa.String(26), _contract(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("rent_minor", sa.BigInteger(), nullable=False),
        sa.Column("utilities_minor", sa.BigInteger(), nullable=False),
        sa.Column("services_minor", sa.BigInteger(), nullable=False),
        sa.Column("gross_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("invoice_id", sa.String(32), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("contract_id", "period_start", name="uq_ops_contract_bills_period"),
    )
    op.create_index("ix_ops_contract_bills_contract_id", "ops_contract_bills", ["contract_id"])
    op.create_table(
        "ops_meter_readings",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("contract_id", sa.String(26), _contract(), nullable=False),
        sa.Column("meter", sa.String(16), nullable=False),
        sa.Column("read_on", sa.Date(), nullable=False),
        sa.Column("reading", sa.BigInteger(), nullable=False),
        sa.Column("bill_id", sa.String(26), sa.ForeignKey("ops_contract_bills.id"), nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.UniqueConstraint("contract_id", "meter", "read_on", name="uq_ops_meter_readings_day"),
        sa.CheckConstraint("reading >= 0", name=op.f("ck_ops_meter_readings_reading")),
    )
    op.create_index("ix_ops_meter_readings_contract_id", "ops_meter_readings", ["contract_id"])
    op.create_table(
        "ops_parcels",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("reservation_id", sa.String(26), sa.ForeignKey("reservations.id"), nullable=False),
        sa.Column("carrier", sa.String(60), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("received_by", sa.String(100), nullable=False),
        sa.Column("handed_at", TS, nullable=True),
        sa.Column("handed_by", sa.String(100), nullable=True),
        sa.Column("signed_by", sa.String(100), nullable=True),
        sa.Column("signature_svg", sa.Text(), nullable=True),
    )
    op.create_index("ix_ops_parcels_reservation_id", "ops_parcels", ["reservation_id"])


def downgrade() -> None:
    op.drop_index("ix_ops_parcels_reservation_id", table_name="ops_parcels")
    op.drop_table("ops_parcels")
    op.drop_index("ix_ops_meter_readings_contract_id", table_name="ops_meter_readings")
    op.drop_table("ops_meter_readings")
    op.drop_index("ix_ops_contract_bills_contract_id", table_name="ops_contract_bills")
    op.drop_table("ops_contract_bills")
    op.drop_table("ops_contract_terms")
