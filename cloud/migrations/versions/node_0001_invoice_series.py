"""Property nodes: the invoice series reserved for each node (billing_node_series).

Revision ID: node_0001
Revises: billing_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "node_0001"
down_revision = "billing_0003"
branch_labels = ("node",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billing_node_series",
        sa.Column("series", sa.String(32), nullable=False),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("node", sa.String(63), nullable=False),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["series"],
            ["billing_invoice_series.series"],
            name=op.f("fk_billing_node_series_series_billing_invoice_series"),
        ),
        sa.PrimaryKeyConstraint("series", name=op.f("pk_billing_node_series")),
        sa.UniqueConstraint("site", "node", name="uq_billing_node_series_site_node"),
    )


def downgrade() -> None:
    op.drop_table("billing_node_series")
