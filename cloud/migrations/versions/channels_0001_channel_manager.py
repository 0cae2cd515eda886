"""The channel manager: channels, mappings, channel reservations, the ARI outbox, sync state,
problems, and the change marks that triggers write.

Triggers on ``type_inventory`` (a sale, a cancellation, a room out of order: sold or capacity
changes), ``rate_prices``, ``rate_restrictions`` and ``rooms`` write one mark per changed row into
``channel_changes``, in the writer's own transaction, and only while some channel is active:
so every path that changes what can be sold (the desk, a channel, the set-up, raw SQL) queues
an ARI update, and a property without channels pays one tiny query.

Revision ID: channels_0001
Revises: setup_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "channels_0001"
down_revision = "setup_0001"
branch_labels = ("channels",)
depends_on = None

ACTIVE = "EXISTS (SELECT 1 FROM channels WHERE NOT paused)"
MARK = "INSERT INTO channel_changes (property_id, room_type_id, rate_plan_id, first_night, last_night)"
# (table, values for a row R: property, type, plan, first night, last night)
MARKED = {
    "type_inventory": ("NULL", "R.room_type_id", "NULL", "R.night", "R.night"),
    "rate_prices": ("NULL", "R.room_type_id", "R.rate_plan_id", "R.season_start", "R.season_end"),
    "rate_restrictions": ("R.property_id", "R.room_type_id", "R.rate_plan_id", "R.start", 'R."end"'),
    # a room added, retired or moved to another type: its type's every night (those without
    # inventory rows are counted from the rooms)
    "rooms": ("NULL", "R.room_type_id", "NULL", "NULL", "NULL"),
}


def upgrade() -> None:
    _tables()
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def _tables() -> None:
    now = sa.DateTime(timezone=True)
    op.create_table(
        "channels",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "property_id",
            sa.Integer(),
            sa.ForeignKey(
                "properties.id", ondelete="CASCADE", name=op.f("fk_channels_property_id_properties")
            ),
            nullable=False,
        ),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("markup_bp", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("hotel_code", sa.String(64), nullable=False),
        sa.Column("endpoint_url", sa.String(500), nullable=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("calls_per_minute", sa.Integer(), nullable=False),
        sa.Column("created_at", now, nullable=False),
        sa.UniqueConstraint("property_id", "code", name=op.f("uq_channels_property_id")),
        sa.CheckConstraint("kind IN ('ical', 'ota')", name=op.f("ck_channels_kind")),
        sa.CheckConstraint("markup_bp BETWEEN -5000 AND 50000", name=op.f("ck_channels_markup_range")),
        sa.CheckConstraint("calls_per_minute BETWEEN 1 AND 6000", name=op.f("ck_channels_rate_range")),
    )
    op.create_index(op.f("ix_channels_property_id"), "channels", ["property_id"])
    op.create_index(op.f("ix_channels_secret_hash"), "channels", ["secret_hash"])
    op.create_table(
        "channel_mappings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "channel_id",
            sa.Integer(),
            sa.ForeignKey(
                "channels.id", ondelete="CASCADE", name=op.f("fk_channel_mappings_channel_id_channels")
            ),
            nullable=False,
        ),
        sa.Column(
            "room_type_id",
            sa.Integer(),
            sa.ForeignKey(
                "room_types.id", ondelete="CASCADE", name=op.f("fk_channel_mappings_room_type_id_room_types")
            ),
            nullable=False,
        ),
        sa.Column(
            "rate_plan_id",
            sa.Integer(),
            sa.ForeignKey(
                "rate_plans.id", ondelete="CASCADE", name=op.f("fk_channel_mappings_rate_plan_id_rate_plans")
            ),
            nullable=False,
        ),
        sa.Column("room_code", sa.String(64), nullable=False),
        sa.Column("rate_code", sa.String(64), nullable=False),
        sa.Column("import_url", sa.String(500), nullable=True),
        sa.UniqueConstraint("channel_id", "room_code", "rate_code", name="uq_channel_mappings_codes"),
        sa.UniqueConstraint("channel_id", "room_type_id", "rate_plan_id", name="uq_channel_mappings_ours"),
    )
    op.create_index(op.f("ix_channel_mappings_channel_id"), "channel_mappings", ["channel_id"])
    op.create_table(
        "channel_reservations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "channel_id",
            sa.Integer(),
            sa.ForeignKey(
                "channels.id", ondelete="CASCADE", name=op.f("fk_channel_reservations_channel_id_channels")
            ),
            nullable=False,
        ),
        sa.Column("confirmation", sa.String(64), nullable=False),
        sa.Column(
            "reservation_id",
            sa.String(26),
            sa.ForeignKey(
                "reservations.id",
                ondelete="SET NULL",
                name=op.f("fk_channel_reservations_reservation_id_reservations"),
            ),
            nullable=True,
        ),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column(
            "room_type_id",
            sa.Integer(),
            sa.ForeignKey("room_types.id", name=op.f("fk_channel_reservations_room_type_id_room_types")),
            nullable=False,
        ),
        sa.Column(
            "rate_plan_id",
            sa.Integer(),
            sa.ForeignKey("rate_plans.id", name=op.f("fk_channel_reservations_rate_plan_id_rate_plans")),
            nullable=False,
        ),
        sa.Column("arrival", sa.Date(), nullable=False),
        sa.Column("departure", sa.Date(), nullable=False),
        sa.Column("guest_name", sa.String(200), nullable=False),
        sa.Column("total_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column(
            "detail", sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("received_at", now, nullable=False),
        sa.Column("updated_at", now, nullable=False),
        sa.UniqueConstraint("channel_id", "confirmation", name="uq_channel_reservations_confirmation"),
        sa.CheckConstraint(
            "status IN ('booked', 'cancelled', 'overbooked', 'overbooking_cancelled')",
            name=op.f("ck_channel_reservations_status"),
        ),
        sa.CheckConstraint("departure > arrival", name=op.f("ck_channel_reservations_stay_order")),
        sa.CheckConstraint("total_minor >= 0", name=op.f("ck_channel_reservations_money")),
    )
    op.create_index(
        op.f("ix_channel_reservations_reservation_id"), "channel_reservations", ["reservation_id"]
    )
    op.create_table(
        "channel_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "channel_id",
            sa.Integer(),
            sa.ForeignKey(
                "channels.id", ondelete="CASCADE", name=op.f("fk_channel_outbox_channel_id_channels")
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column(
            "room_type_id",
            sa.Integer(),
            sa.ForeignKey(
                "room_types.id", ondelete="CASCADE", name=op.f("fk_channel_outbox_room_type_id_room_types")
            ),
            nullable=False,
        ),
        sa.Column(
            "rate_plan_id",
            sa.Integer(),
            sa.ForeignKey(
                "rate_plans.id", ondelete="CASCADE", name=op.f("fk_channel_outbox_rate_plan_id_rate_plans")
            ),
            nullable=True,
        ),
        sa.Column("first_night", sa.Date(), nullable=False),
        sa.Column("last_night", sa.Date(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", now, nullable=False),
        sa.Column("queued_at", now, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('availability', 'restrictions', 'rates', 'counts')", name=op.f("ck_channel_outbox_kind")
        ),
        sa.CheckConstraint("status IN ('queued', 'failed')", name=op.f("ck_channel_outbox_status")),
        sa.CheckConstraint("last_night >= first_night", name=op.f("ck_channel_outbox_range_order")),
    )
    op.create_index("ix_channel_outbox_due", "channel_outbox", ["channel_id", "status", "next_at"])
    op.create_table(
        "channel_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("property_id", sa.Integer(), nullable=True),
        sa.Column("room_type_id", sa.Integer(), nullable=True),
        sa.Column("rate_plan_id", sa.Integer(), nullable=True),
        sa.Column("first_night", sa.Date(), nullable=True),
        sa.Column("last_night", sa.Date(), nullable=True),
    )
    op.create_table(
        "channel_syncs",
        sa.Column(
            "channel_id",
            sa.Integer(),
            sa.ForeignKey(
                "channels.id", ondelete="CASCADE", name=op.f("fk_channel_syncs_channel_id_channels")
            ),
            primary_key=True,
        ),
        sa.Column("direction", sa.String(8), primary_key=True),
        sa.Column("last_ok_at", now, nullable=True),
        sa.Column("last_error_at", now, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "direction IN ('push', 'pull', 'inbound')", name=op.f("ck_channel_syncs_direction")
        ),
    )
    op.create_table(
        "channel_problems",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "channel_id",
            sa.Integer(),
            sa.ForeignKey(
                "channels.id", ondelete="CASCADE", name=op.f("fk_channel_problems_channel_id_channels")
            ),
            nullable=False,
        ),
        sa.Column("at", now, nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index(op.f("ix_channel_problems_channel_id"), "channel_problems", ["channel_id"])


def _postgresql() -> None:
    for table, values in MARKED.items():
        new = ", ".join(v.replace("R.", "NEW.") for v in values)
        old = ", ".join(v.replace("R.", "OLD.") for v in values)
        op.execute(
            f"CREATE FUNCTION {table}_channel_mark() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF {ACTIVE} THEN "
            f"IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND TG_TABLE_NAME <> 'type_inventory') "
            f"THEN {MARK} VALUES ({old}); END IF; "
            f"IF TG_OP IN ('UPDATE', 'INSERT') THEN {MARK} VALUES ({new}); END IF; "
            "END IF; RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_channel_mark AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_channel_mark()"
        )


def _sqlite() -> None:
    for table, values in MARKED.items():
        moved = ("NEW",) if table == "type_inventory" else ("OLD", "NEW")  # a night never moves
        for event, rows in (("insert", ("NEW",)), ("update", moved), ("delete", ("OLD",))):
            body = " ".join(
                f"{MARK} VALUES ({', '.join(v.replace('R.', f'{r}.') for v in values)});" for r in rows
            )
            op.execute(
                f"CREATE TRIGGER {table}_channel_mark_{event} AFTER {event.upper()} ON {table} "
                f"WHEN {ACTIVE} BEGIN {body} END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in MARKED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_channel_mark ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_channel_mark()")
    else:
        for table in MARKED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_channel_mark_{event}")
    for table in (
        "channel_problems",
        "channel_syncs",
        "channel_changes",
        "channel_outbox",
        "channel_reservations",
        "channel_mappings",
        "channels",
    ):
        op.drop_table(table)
