"""Guest self-service: email addresses up to the 254 characters SMTP allows in the opt-out table
(its 64 suited phone numbers and chat ids; the outbox's recipient is sealed text since pii_0001).

Revision ID: guestweb_0004
Revises: guestweb_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "guestweb_0004"
down_revision = "guestweb_0003"
branch_labels = None
depends_on = "billing_0002"  # the opt-out table it widens


def upgrade() -> None:
    with op.batch_alter_table("notify_contacts") as batch:
        batch.alter_column("address", type_=sa.String(320), existing_type=sa.String(64),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("notify_contacts") as batch:
        batch.alter_column("address", type_=sa.String(64), existing_type=sa.String(320),
                           existing_nullable=False)
