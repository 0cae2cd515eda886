"""Trust: each queued message knows its property, so failed messages are shown to its staff;
recipients as long as an e-mail address; staff have an e-mail address for unlock links.

Revision ID: trust_0002
Revises: trust_0001 (needs billing_0002, which made the outbox)
"""

import sqlalchemy as sa
from alembic import op

revision = "trust_0002"
down_revision = "trust_0001"
branch_labels = None
depends_on = "billing_0002"


def upgrade() -> None:
    with op.batch_alter_table("notify_outbox") as batch:
        batch.add_column(sa.Column("site", sa.String(63), nullable=True))
        batch.alter_column("recipient", type_=sa.String(254), existing_type=sa.String(64),
                           existing_nullable=False)  # an e-mail address
    op.create_index("ix_notify_outbox_failed", "notify_outbox", ["status", "site"])
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("email", sa.String(254), nullable=True))  # where unlock links go


def downgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("email")
    op.drop_index("ix_notify_outbox_failed", "notify_outbox")
    with op.batch_alter_table("notify_outbox") as batch:
        batch.drop_column("site")
        batch.alter_column("recipient", type_=sa.String(64), existing_type=sa.String(254),
                           existing_nullable=False)
