"""Reports: expense entries, supplier invoices and recurring expenses, for the monthly P&L.

Revision ID: reports_0002
Revises: reports_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "reports_0002"
down_revision = "reports_0001"
branch_labels = None
depends_on = None

CATEGORIES = ("payroll", "utilities", "supplies", "maintenance", "commissions", "marketing", "other")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reports_expenses",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("incurred_on", sa.Date(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False, server_default=""),
        sa.Column("reference", sa.String(64), nullable=False, server_default=""),
        sa.Column("description", sa.String(400), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.CheckConstraint("kind IN ('entry', 'supplier_invoice')", name=op.f("ck_reports_expenses_kind")),
        sa.CheckConstraint(f"category IN {CATEGORIES!r}", name=op.f("ck_reports_expenses_category")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_reports_expenses_positive")),
        sa.ForeignKeyConstraint(["property_id"], ["properties.id"], ondelete="CASCADE",
                                name=op.f("fk_reports_expenses_property_id_properties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports_expenses")),
    )
    op.create_index("ix_reports_expenses_property_day", "reports_expenses", ["property_id", "incurred_on"])
    op.create_table(
        "reports_recurring_expenses",
        sa.Column("id", sa.String(26), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("first_month", sa.Date(), nullable=False),
        sa.Column("last_month", sa.Date(), nullable=True),
        sa.Column("description", sa.String(400), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.CheckConstraint(f"category IN {CATEGORIES!r}",
                           name=op.f("ck_reports_recurring_expenses_category")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_reports_recurring_expenses_positive")),
        sa.CheckConstraint("last_month IS NULL OR last_month >= first_month",
                           name=op.f("ck_reports_recurring_expenses_months_order")),
        sa.ForeignKeyConstraint(["property_id"], ["properties.id"], ondelete="CASCADE",
                                name=op.f("fk_reports_recurring_expenses_property_id_properties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports_recurring_expenses")),
    )
    op.create_index("ix_reports_recurring_expenses_property_id", "reports_recurring_expenses",
                    ["property_id"])


def downgrade() -> None:
    op.drop_table("reports_recurring_expenses")
    op.drop_table("reports_expenses")
