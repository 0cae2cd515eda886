"""The guest's language on the reservation (invoices and messages follow it), the property's
language as its default, and an optional language on the guest's profile.

Plain ``ALTER TABLE ... ADD COLUMN`` with a column CHECK on both databases: on SQLite a batch
rebuild of ``reservations`` would drop the triggers billing_0003 keeps on it.

Revision ID: checkout_0001
Revises: reservations_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "checkout_0001"
down_revision = "reservations_0001"
branch_labels = None
depends_on = ("guests_0001",)  # the guests table

COLUMNS = (("properties", "language"), ("reservations", "guest_language"))


def upgrade() -> None:
    for table, column in COLUMNS:
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR(8) DEFAULT 'en' NOT NULL "
                   f"CHECK ({column} IN ('en', 'es', 'zh'))")
    op.add_column("guests", sa.Column("language", sa.String(8), nullable=True))


def downgrade() -> None:
    op.drop_column("guests", "language")
    for table, column in reversed(COLUMNS):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
