"""Reports: online bookings keep their mark (the booking engine's channel) after the desk sends them
a payment link, which turns their hold into one that never releases.

Holds made before this revision are marked online when they still release unpaid bookings, the
best that can be told of them.

Revision ID: reports_0005
Revises: reports_0004 (depends on guestweb_0001)
"""

import sqlalchemy as sa
from alembic import op

revision = "reports_0005"
down_revision = "reports_0004"
branch_labels = None
depends_on = ("guestweb_0001",)  # the holds table


def upgrade() -> None:
    op.add_column("guestweb_holds",
                  sa.Column("booked_online", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE guestweb_holds SET booked_online = releases")


def downgrade() -> None:
    op.drop_column("guestweb_holds", "booked_online")  # SQLite (3.35+) drops it in place
