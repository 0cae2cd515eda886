"""Reservations and stays: properties, rooms, rates, reservations, allocations, inventory, groups.

On PostgreSQL a room cannot be allocated twice for a night by an exclusion constraint over
the generated ``stay`` daterange (range column first, btree_gist); on SQLite by the primary key
of ``room_nights``, which is only written there.

Revision ID: reservations_0001
Revises: 0001_board
Depends on: guests_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "reservations_0001"
down_revision = "0001_board"
branch_labels = ("reservations",)
depends_on = ("guests_0001",)  # reservations.guest_id references guests.id

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    _tables()
    _room_nights()  # written on SQLite only; on PostgreSQL it stays empty (metadata matches the schema)
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_exclusion()


def _postgresql_exclusion() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.execute(
        "ALTER TABLE room_allocations ADD COLUMN stay daterange "
        "GENERATED ALWAYS AS (daterange(start_night, end_night, '[)')) STORED"
    )
    op.execute(
        "ALTER TABLE room_allocations ADD CONSTRAINT ex_room_allocations_no_double_booking "
        "EXCLUDE USING gist (stay WITH &&, room_id WITH =)"
    )


def _room_nights() -> None:
    op.create_table(
        "room_nights",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("night", sa.Date(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["room_allocations.id"],
            name=op.f("fk_room_nights_allocation_id_room_allocations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("room_id", "night", name=op.f("pk_room_nights")),
    )
    op.create_index(op.f("ix_room_nights_allocation_id"), "room_nights", ["allocation_id"], unique=False)


def _tables() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=128), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "properties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.CheckConstraint("number BETWEEN 1 AND 65535", name=op.f("ck_properties_number_range")),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("checkin_from", sa.Time(), nullable=False),
        sa.Column("checkin_until", sa.Time(), nullable=False),
        sa.Column("checkout_at", sa.Time(), nullable=False),
        sa.Column("late_checkout_hourly_minor", sa.Integer(), nullable=False),
        sa.Column("latest_checkout_at", sa.Time(), nullable=False),
        sa.CheckConstraint("late_checkout_hourly_minor >= 0", name=op.f("ck_properties_late_fee_nonneg")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_properties")),
        sa.UniqueConstraint("slug", name=op.f("uq_properties_slug")),
        sa.UniqueConstraint("number", name="uq_properties_number"),
    )
    op.create_table(
        "floors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_floors_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_floors")),
        sa.UniqueConstraint("property_id", "slug", name=op.f("uq_floors_property_id")),
    )
    op.create_table(
        "rate_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("refundable", sa.Boolean(), nullable=False),
        sa.Column("free_cancel_hours", sa.Integer(), nullable=False),
        sa.Column("cancel_fee_nights", sa.Integer(), nullable=False),
        sa.Column("deposit_kind", sa.String(length=16), nullable=False),
        sa.Column("deposit_percent", sa.Integer(), nullable=False),
        sa.Column("min_stay", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "deposit_kind IN ('none','first_night','percent','total')",
            name=op.f("ck_rate_plans_deposit_kind"),
        ),
        sa.CheckConstraint("deposit_percent BETWEEN 0 AND 100", name=op.f("ck_rate_plans_deposit_percent")),
        sa.CheckConstraint(
            "min_stay >= 1 AND free_cancel_hours >= 0 AND cancel_fee_nights >= 0",
            name=op.f("ck_rate_plans_policy_ranges"),
        ),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_rate_plans_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_plans")),
        sa.UniqueConstraint("property_id", "code", name=op.f("uq_rate_plans_property_id")),
    )
    op.create_table(
        "room_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("max_guests", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.CheckConstraint("max_guests >= 1", name=op.f("ck_room_types_max_guests_positive")),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_room_types_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_types")),
        sa.UniqueConstraint("property_id", "code", name=op.f("uq_room_types_property_id")),
    )
    op.create_table(
        "group_blocks",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("arrival", sa.Date(), nullable=False),
        sa.Column("departure", sa.Date(), nullable=False),
        sa.Column("release_on", sa.Date(), nullable=False),
        sa.Column("rate_plan_id", sa.Integer(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('group', 'event')", name=op.f("ck_group_blocks_kind")),
        sa.CheckConstraint("departure > arrival", name=op.f("ck_group_blocks_stay_order")),
        sa.ForeignKeyConstraint(
            ["property_id"], ["properties.id"], name=op.f("fk_group_blocks_property_id_properties")
        ),
        sa.ForeignKeyConstraint(
            ["rate_plan_id"], ["rate_plans.id"], name=op.f("fk_group_blocks_rate_plan_id_rate_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_blocks")),
    )
    op.create_index(op.f("ix_group_blocks_property_id"), "group_blocks", ["property_id"], unique=False)
    op.create_table(
        "rate_prices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rate_plan_id", sa.Integer(), nullable=False),
        sa.Column("room_type_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("season_start", sa.Date(), nullable=True),
        sa.Column("season_end", sa.Date(), nullable=True),
        sa.Column("weekdays", JSON, nullable=True),
        sa.Column("min_stay", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_rate_prices_amount_nonneg")),
        sa.ForeignKeyConstraint(
            ["rate_plan_id"],
            ["rate_plans.id"],
            name=op.f("fk_rate_prices_rate_plan_id_rate_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_type_id"],
            ["room_types.id"],
            name=op.f("fk_rate_prices_room_type_id_room_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_prices")),
    )
    op.create_index(op.f("ix_rate_prices_rate_plan_id"), "rate_prices", ["rate_plan_id"], unique=False)
    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("floor_id", sa.Integer(), nullable=False),
        sa.Column("room_type_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.CheckConstraint("number BETWEEN 1 AND 65535", name=op.f("ck_rooms_number_range")),
        sa.Column("view", sa.String(length=32), nullable=True),
        sa.Column("accessible", sa.Boolean(), nullable=False),
        sa.Column("near_lift", sa.Boolean(), nullable=False),
        sa.Column("connects_to_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["connects_to_id"], ["rooms.id"], name=op.f("fk_rooms_connects_to_id_rooms")),
        sa.ForeignKeyConstraint(["floor_id"], ["floors.id"], name=op.f("fk_rooms_floor_id_floors")),
        sa.ForeignKeyConstraint(
            ["property_id"],
            ["properties.id"],
            name=op.f("fk_rooms_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_type_id"], ["room_types.id"], name=op.f("fk_rooms_room_type_id_room_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rooms")),
        sa.UniqueConstraint("property_id", "slug", name=op.f("uq_rooms_property_id")),
        sa.UniqueConstraint("property_id", "number", name="uq_rooms_property_number"),
    )
    op.create_index(op.f("ix_rooms_room_type_id"), "rooms", ["room_type_id"], unique=False)
    op.create_table(
        "type_inventory",
        sa.Column("room_type_id", sa.Integer(), nullable=False),
        sa.Column("night", sa.Date(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "sold >= 0 AND capacity >= 0 AND sold <= capacity", name=op.f("ck_type_inventory_not_oversold")
        ),
        sa.ForeignKeyConstraint(
            ["room_type_id"], ["room_types.id"], name=op.f("fk_type_inventory_room_type_id_room_types")
        ),
        sa.PrimaryKeyConstraint("room_type_id", "night", name=op.f("pk_type_inventory")),
    )
    op.create_table(
        "block_allotments",
        sa.Column("block_id", sa.String(length=26), nullable=False),
        sa.Column("room_type_id", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("picked", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "picked >= 0 AND picked <= held", name=op.f("ck_block_allotments_picked_within_held")
        ),
        sa.ForeignKeyConstraint(
            ["block_id"],
            ["group_blocks.id"],
            name=op.f("fk_block_allotments_block_id_group_blocks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_type_id"], ["room_types.id"], name=op.f("fk_block_allotments_room_type_id_room_types")
        ),
        sa.PrimaryKeyConstraint("block_id", "room_type_id", name=op.f("pk_block_allotments")),
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("guest_id", sa.String(length=26), nullable=True),
        sa.Column("guest_name", sa.String(length=200), nullable=False),
        sa.Column("guest_email", sa.String(length=254), nullable=True),
        sa.Column("guest_phone", sa.String(length=32), nullable=True),
        sa.Column("adults", sa.Integer(), nullable=False),
        sa.Column("children", sa.Integer(), nullable=False),
        sa.Column("room_type_id", sa.Integer(), nullable=False),
        sa.Column("inventory_type_id", sa.Integer(), nullable=False),
        sa.Column("rate_plan_id", sa.Integer(), nullable=False),
        sa.Column("block_id", sa.String(length=26), nullable=True),
        sa.Column("arrival", sa.Date(), nullable=False),
        sa.Column("departure", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.Integer(), nullable=False),
        sa.Column("deposit_required_minor", sa.Integer(), nullable=False),
        sa.Column("cancellation_fee_minor", sa.Integer(), nullable=False),
        sa.Column("late_checkout_fee_minor", sa.Integer(), nullable=False),
        sa.Column("checkout_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("preferences", JSON, nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('booked', 'checked_in', 'checked_out', 'cancelled', 'no_show')",
            name=op.f("ck_reservations_status"),
        ),
        sa.CheckConstraint("adults >= 1 AND children >= 0", name=op.f("ck_reservations_guests")),
        sa.CheckConstraint("departure > arrival", name=op.f("ck_reservations_stay_order")),
        sa.CheckConstraint(
            "total_minor >= 0 AND deposit_required_minor BETWEEN 0 AND total_minor",
            name=op.f("ck_reservations_money"),
        ),
        sa.ForeignKeyConstraint(
            ["block_id"], ["group_blocks.id"], name=op.f("fk_reservations_block_id_group_blocks")
        ),
        sa.ForeignKeyConstraint(
            ["inventory_type_id"],
            ["room_types.id"],
            name=op.f("fk_reservations_inventory_type_id_room_types"),
        ),
        sa.ForeignKeyConstraint(
            ["property_id"], ["properties.id"], name=op.f("fk_reservations_property_id_properties")
        ),
        sa.ForeignKeyConstraint(
            ["rate_plan_id"], ["rate_plans.id"], name=op.f("fk_reservations_rate_plan_id_rate_plans")
        ),
        sa.ForeignKeyConstraint(
            ["room_type_id"], ["room_types.id"], name=op.f("fk_reservations_room_type_id_room_types")
        ),
        sa.ForeignKeyConstraint(["guest_id"], ["guests.id"], name=op.f("fk_reservations_guest_id_guests")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
    )
    op.create_index(op.f("ix_reservations_block_id"), "reservations", ["block_id"], unique=False)
    op.create_index(op.f("ix_reservations_guest_id"), "reservations", ["guest_id"], unique=False)
    op.create_index(
        "ix_reservations_property_arrival", "reservations", ["property_id", "arrival"], unique=False
    )
    op.create_index(
        "ix_reservations_property_departure", "reservations", ["property_id", "departure"], unique=False
    )
    op.create_index(op.f("ix_reservations_property_id"), "reservations", ["property_id"], unique=False)
    op.create_table(
        "long_stay_contracts",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("reservation_id", sa.String(length=26), nullable=False),
        sa.Column("monthly_rate_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("billing_day", sa.Integer(), nullable=False),
        sa.CheckConstraint("billing_day BETWEEN 1 AND 28", name=op.f("ck_long_stay_contracts_billing_day")),
        sa.CheckConstraint("monthly_rate_minor >= 0", name=op.f("ck_long_stay_contracts_rate_nonneg")),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_long_stay_contracts_reservation_id_reservations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_long_stay_contracts")),
        sa.UniqueConstraint("reservation_id", name=op.f("uq_long_stay_contracts_reservation_id")),
    )
    op.create_table(
        "reservation_nights",
        sa.Column("reservation_id", sa.String(length=26), nullable=False),
        sa.Column("night", sa.Date(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_reservation_nights_reservation_id_reservations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reservation_id", "night", name=op.f("pk_reservation_nights")),
    )
    op.create_table(
        "room_allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.String(length=26), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("start_night", sa.Date(), nullable=False),
        sa.Column("end_night", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'stay') = (reservation_id IS NOT NULL)", name=op.f("ck_room_allocations_kind_matches")
        ),
        sa.CheckConstraint("kind IN ('stay', 'out_of_order')", name=op.f("ck_room_allocations_kind")),
        sa.CheckConstraint("end_night > start_night", name=op.f("ck_room_allocations_nights_order")),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_room_allocations_reservation_id_reservations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_room_allocations_room_id_rooms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_allocations")),
    )
    op.create_index(
        op.f("ix_room_allocations_reservation_id"), "room_allocations", ["reservation_id"], unique=False
    )
    op.create_index(
        "ix_room_allocations_room_start", "room_allocations", ["room_id", "start_night"], unique=False
    )
    op.create_table(
        "stay_credentials",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("reservation_id", sa.String(length=26), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.UniqueConstraint("room_id", "sequence", name="uq_stay_credentials_room_sequence"),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_stay_credentials_reservation_id_reservations"),
        ),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_stay_credentials_room_id_rooms")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stay_credentials")),
    )
    op.create_index(
        op.f("ix_stay_credentials_reservation_id"), "stay_credentials", ["reservation_id"], unique=False
    )
    op.create_table(
        "contract_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("weekdays", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["long_stay_contracts.id"],
            name=op.f("fk_contract_services_contract_id_long_stay_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_services")),
    )
    op.create_index(
        op.f("ix_contract_services_contract_id"), "contract_services", ["contract_id"], unique=False
    )
    op.create_table(
        "service_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.String(length=26), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.CheckConstraint("status IN ('open', 'done', 'cancelled')", name=op.f("ck_service_tasks_status")),
        sa.ForeignKeyConstraint(
            ["reservation_id"], ["reservations.id"], name=op.f("fk_service_tasks_reservation_id_reservations")
        ),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name=op.f("fk_service_tasks_room_id_rooms")),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["contract_services.id"],
            name=op.f("fk_service_tasks_service_id_contract_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_tasks")),
        sa.UniqueConstraint("service_id", "due_on", name=op.f("uq_service_tasks_service_id")),
    )
    op.create_index(op.f("ix_service_tasks_due_on"), "service_tasks", ["due_on"], unique=False)
    op.create_index(
        op.f("ix_service_tasks_reservation_id"), "service_tasks", ["reservation_id"], unique=False
    )


def downgrade() -> None:
    for table in (
        "service_tasks",
        "contract_services",
        "long_stay_contracts",
        "stay_credentials",
        "room_nights",
        "room_allocations",
        "reservation_nights",
        "reservations",
        "block_allotments",
        "group_blocks",
        "type_inventory",
        "rate_prices",
        "rate_plans",
        "rooms",
        "room_types",
        "floors",
        "properties",
        "idempotency_keys",
    ):
        op.execute(f"DROP TABLE IF EXISTS {table}")
