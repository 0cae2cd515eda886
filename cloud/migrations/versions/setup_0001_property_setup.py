"""Property set-up: the property's legal and invoice fields, room types per language, retired
rooms, meals on rate plans, restrictions per date range, card areas, taxes and tax categories,
service items.

New columns are added with ``ALTER TABLE ... ADD COLUMN`` on both databases (a batch rebuild on
SQLite would drop the catalog-stamp triggers). ``rate_restrictions`` gets the catalog-stamp
triggers: booking keeps restrictions in its catalog copy.

Revision ID: setup_0001
Revises: booking_speed_0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "setup_0001"
down_revision = "booking_speed_0002"
branch_labels = ("setup",)
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
MEALS = ("none", "breakfast", "half_board", "full_board", "all_inclusive")
AREA_KINDS = ("lift_floor", "pool", "gym", "spa", "parking", "entrance", "lounge", "business_centre")
STAMPED = ("rate_restrictions",)
RETIRED = ("SELECT 1 FROM rooms WHERE rooms.id = NEW.room_id AND rooms.retired_from IS NOT NULL "
           "AND rooms.retired_from < NEW.end_night")


def _text(name: str, length: int) -> sa.Column[str]:
    return sa.Column(name, sa.String(length), nullable=False, server_default="")


def _json(name: str, empty: str) -> sa.Column[object]:
    return sa.Column(name, JSON, nullable=False, server_default=sa.text(f"'{empty}'"))


def upgrade() -> None:
    for column in (_text("chain", 63), _text("address", 400), _text("country", 2), _text("legal_name", 200),
                   _json("tax_ids", "[]"), _text("invoice_series", 32),
                   sa.Column("prices_include_tax", sa.Boolean(), nullable=False, server_default=sa.false())):
        op.add_column("properties", column)
    op.add_column("floors", _text("name", 100))
    for column in (_json("names", "{}"), _json("descriptions", "{}"), _text("beds", 100),
                   _json("features", "[]"), _json("photos", "[]")):
        op.add_column("room_types", column)
    op.add_column("rooms", sa.Column("retired_from", sa.Date(), nullable=True))
    op.execute("ALTER TABLE rate_plans ADD COLUMN meals VARCHAR(16) DEFAULT 'none' NOT NULL "
               f"CONSTRAINT ck_rate_plans_meals CHECK (meals IN {MEALS!r})")
    _restrictions()
    _card_areas()
    _charges()
    if op.get_bind().dialect.name == "postgresql":
        for table in STAMPED:
            op.execute(
                f"CREATE TRIGGER {table}_catalog_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION catalog_stamp_bump()"
            )
        op.execute(
            "CREATE FUNCTION room_retired_check() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.kind = 'stay' AND EXISTS ({RETIRED}) THEN "
            "RAISE EXCEPTION 'room % is retired', NEW.room_id USING ERRCODE = '23514'; END IF; "
            "RETURN NEW; END $$"
        )
        op.execute("CREATE TRIGGER room_allocations_retired BEFORE INSERT OR UPDATE ON room_allocations "
                   "FOR EACH ROW EXECUTE FUNCTION room_retired_check()")
    else:
        op.execute(f"CREATE TRIGGER room_allocations_retired BEFORE INSERT ON room_allocations "
                   f"WHEN NEW.kind = 'stay' AND EXISTS ({RETIRED}) "
                   "BEGIN SELECT RAISE(ABORT, 'room retired'); END")
        for table in STAMPED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_catalog_stamp_{event.lower()} AFTER {event} ON {table} "
                    "BEGIN UPDATE catalog_stamp SET stamp = random() WHERE id = 1; END"
                )


def _property_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["property_id"], ["properties.id"],
                                   name=op.f(f"fk_{table}_property_id_properties"), ondelete="CASCADE")


def _restrictions() -> None:
    op.create_table(
        "rate_restrictions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("rate_plan_id", sa.Integer(), nullable=True),
        sa.Column("room_type_id", sa.Integer(), nullable=True),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("min_stay", sa.Integer(), nullable=True),
        sa.Column("max_stay", sa.Integer(), nullable=True),
        sa.Column("closed_to_arrival", sa.Boolean(), nullable=False),
        sa.Column("closed_to_departure", sa.Boolean(), nullable=False),
        sa.Column("stop_sell", sa.Boolean(), nullable=False),
        sa.CheckConstraint('"end" > start', name=op.f("ck_rate_restrictions_dates_order")),
        sa.CheckConstraint("(min_stay IS NULL OR min_stay >= 1) AND (max_stay IS NULL OR max_stay >= 1)",
                           name=op.f("ck_rate_restrictions_stay_ranges")),
        _property_fk("rate_restrictions"),
        sa.ForeignKeyConstraint(["rate_plan_id"], ["rate_plans.id"], ondelete="CASCADE",
                                name=op.f("fk_rate_restrictions_rate_plan_id_rate_plans")),
        sa.ForeignKeyConstraint(["room_type_id"], ["room_types.id"], ondelete="CASCADE",
                                name=op.f("fk_rate_restrictions_room_type_id_room_types")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_restrictions")),
    )
    op.create_index(op.f("ix_rate_restrictions_property_id"), "rate_restrictions", ["property_id"])


def _card_areas() -> None:
    op.create_table(
        "card_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("floor_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(f"kind IN {AREA_KINDS!r}", name=op.f("ck_card_areas_kind")),
        sa.CheckConstraint("(kind = 'lift_floor') = (floor_id IS NOT NULL)",
                           name=op.f("ck_card_areas_lift_floor")),
        _property_fk("card_areas"),
        sa.ForeignKeyConstraint(["floor_id"], ["floors.id"], name=op.f("fk_card_areas_floor_id_floors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_areas")),
        sa.UniqueConstraint("property_id", "code", name=op.f("uq_card_areas_property_id")),
    )


def _charges() -> None:
    op.create_table(
        "tax_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("charge_kinds", JSON, nullable=False),
        _property_fk("tax_categories"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_categories")),
        sa.UniqueConstraint("property_id", "code", name=op.f("uq_tax_categories_property_id")),
    )
    op.create_table(
        "taxes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("ppm", sa.Integer(), nullable=False),
        sa.Column("categories", JSON, nullable=False),
        sa.CheckConstraint("ppm BETWEEN 0 AND 1000000", name=op.f("ck_taxes_ppm_range")),
        _property_fk("taxes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxes")),
        sa.UniqueConstraint("property_id", "code", name=op.f("uq_taxes_property_id")),
    )
    op.create_table(
        "service_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("names", JSON, nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.Column("tax_category_id", sa.Integer(), nullable=False),
        sa.Column("charge_kind", sa.String(32), nullable=False),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_service_items_price_nonneg")),
        _property_fk("service_items"),
        sa.ForeignKeyConstraint(["tax_category_id"], ["tax_categories.id"],
                                name=op.f("fk_service_items_tax_category_id_tax_categories")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_items")),
        sa.UniqueConstraint("property_id", "code", name=op.f("uq_service_items_property_id")),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in STAMPED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_stamp ON {table}")
        op.execute("DROP TRIGGER IF EXISTS room_allocations_retired ON room_allocations")
        op.execute("DROP FUNCTION IF EXISTS room_retired_check()")
    else:
        op.execute("DROP TRIGGER IF EXISTS room_allocations_retired")
    for table in ("service_items", "taxes", "tax_categories", "card_areas", "rate_restrictions"):
        op.drop_table(table)
    op.execute("ALTER TABLE rate_plans DROP COLUMN meals")
    op.drop_column("rooms", "retired_from")
    for column in ("photos", "features", "beds", "descriptions", "names"):
        op.drop_column("room_types", column)
    op.drop_column("floors", "name")
    for column in ("prices_include_tax", "invoice_series", "tax_ids", "legal_name", "country", "address",
                   "chain"):
        op.drop_column("properties", column)
