"""Channel reservations of several rooms, and the channel's price beside ours.

- ``channel_reservations.room_index``: which room of the channel's reservation a row is (its
  RoomStay IndexNumber; 1 for the single room of every reservation stored so far); the channel's
  confirmation number is unique per room, not per row;
- ``channel_reservations.ours_minor``: our own price of the stay when it was sold at the
  channel's (the difference is the channel's markup and commission).

Revision ID: channels_0003
Revises: channels_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "channels_0003"
down_revision = "channels_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channel_reservations") as batch:
        batch.add_column(sa.Column("room_index", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("ours_minor", sa.Integer(), nullable=True))
        batch.drop_constraint("uq_channel_reservations_confirmation", type_="unique")
        batch.create_unique_constraint(
            "uq_channel_reservations_room", ["channel_id", "confirmation", "room_index"]
        )
        batch.create_check_constraint(
            op.f("ck_channel_reservations_room_index"), "room_index BETWEEN 1 AND 999"
        )


def downgrade() -> None:
    # rooms after the first of a reservation cannot be kept under a per-reservation number
    op.execute("DELETE FROM channel_reservations WHERE room_index > 1")
    with op.batch_alter_table("channel_reservations") as batch:
        batch.drop_constraint(op.f("ck_channel_reservations_room_index"), type_="check")
        batch.drop_constraint("uq_channel_reservations_room", type_="unique")
        batch.create_unique_constraint("uq_channel_reservations_confirmation", ["channel_id", "confirmation"])
        batch.drop_column("ours_minor")
        batch.drop_column("room_index")
