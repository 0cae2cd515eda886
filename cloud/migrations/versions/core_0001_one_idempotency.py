"""One Idempotency-Key table for every area: billing's stored answers join ``idempotency_keys``.

Revision ID: core_0001
Revises: reservations_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0001"
down_revision = "reservations_0001"
branch_labels = None
depends_on = ("billing_0001",)  # the billing_idempotency table it absorbs

COLUMNS = "scope, key, fingerprint, status_code, body, created_at"


def upgrade() -> None:
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    op.execute(f"INSERT INTO idempotency_keys ({COLUMNS}) SELECT {COLUMNS} FROM billing_idempotency "
               "WHERE true ON CONFLICT (scope, key) DO NOTHING")
    op.drop_index("ix_billing_idempotency_created", table_name="billing_idempotency")
    op.drop_table("billing_idempotency")


def downgrade() -> None:
    op.create_table(
        "billing_idempotency",
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_billing_idempotency")),
    )
    op.create_index("ix_billing_idempotency_created", "billing_idempotency", ["created_at"])
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
