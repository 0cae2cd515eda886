"""Lighter indexes for booking: fewer entries written per reservation, index-only room probes.

- ``ix_reservations_property_id`` goes: ``ix_reservations_property_arrival`` starts with the
  same column and serves every lookup by property.
- ``ix_reservations_block_id`` and ``ix_reservations_guest_id`` keep only the rows that have a
  block or a guest profile (most bookings have neither, and NULLs were indexed for nothing).
- ``ix_room_allocations_room_start`` carries ``end_night`` too, so finding a room's stay just
  before a date (once per room of the type at every booking) never visits the table.

Revision ID: booking_speed_0002
Revises: booking_speed_0001
"""

from alembic import op

revision = "booking_speed_0002"
down_revision = "booking_speed_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.drop_index("ix_reservations_property_id", table_name="reservations")
    for column in ("block_id", "guest_id"):
        op.drop_index(f"ix_reservations_{column}", table_name="reservations")
        op.execute(
            f"CREATE INDEX ix_reservations_{column} ON reservations ({column}) WHERE {column} IS NOT NULL"
        )
    op.drop_index("ix_room_allocations_room_start", table_name="room_allocations")
    if postgresql:
        op.execute(
            "CREATE INDEX ix_room_allocations_room_start ON room_allocations (room_id, start_night) "
            "INCLUDE (end_night)"
        )
    else:  # SQLite has no INCLUDE: the column goes at the end of the key
        op.create_index(
            "ix_room_allocations_room_start", "room_allocations", ["room_id", "start_night", "end_night"]
        )


def downgrade() -> None:
    op.drop_index("ix_room_allocations_room_start", table_name="room_allocations")
    op.create_index("ix_room_allocations_room_start", "room_allocations", ["room_id", "start_night"])
    for column in ("guest_id", "block_id"):
        op.drop_index(f"ix_reservations_{column}", table_name="reservations")
        op.create_index(f"ix_reservations_{column}", "reservations", [column])
    op.create_index("ix_reservations_property_id", "reservations", ["property_id"])
