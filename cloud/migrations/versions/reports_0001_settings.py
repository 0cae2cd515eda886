"""Reports: a property's report settings and what each rate plan's nights are for.

Revision ID: reports_0001
Revises: setup_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "reports_0001"
down_revision = "setup_0001"
branch_labels = ("reports",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reports_settings",
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("out_of_order", sa.String(12), nullable=False, server_default="available"),
        sa.CheckConstraint("out_of_order IN ('available', 'excluded')",
                           name=op.f("ck_reports_settings_out_of_order")),
        sa.ForeignKeyConstraint(["property_id"], ["properties.id"], ondelete="CASCADE",
                                name=op.f("fk_reports_settings_property_id_properties")),
        sa.PrimaryKeyConstraint("property_id", name=op.f("pk_reports_settings")),
    )
    op.create_table(
        "reports_rate_plans",
        sa.Column("rate_plan_id", sa.Integer(), nullable=False),
        sa.Column("usage", sa.String(16), nullable=False, server_default="sale"),
        sa.Column("segment", sa.String(32), nullable=False, server_default=""),
        sa.CheckConstraint("usage IN ('sale', 'complimentary', 'house_use')",
                           name=op.f("ck_reports_rate_plans_usage")),
        sa.ForeignKeyConstraint(["rate_plan_id"], ["rate_plans.id"], ondelete="CASCADE",
                                name=op.f("fk_reports_rate_plans_rate_plan_id_rate_plans")),
        sa.PrimaryKeyConstraint("rate_plan_id", name=op.f("pk_reports_rate_plans")),
    )


def downgrade() -> None:
    op.drop_table("reports_rate_plans")
    op.drop_table("reports_settings")
