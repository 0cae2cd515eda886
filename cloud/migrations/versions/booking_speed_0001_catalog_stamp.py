"""A catalog stamp: one row whose value changes whenever what a property sells changes.

Booking keeps properties, room types, rate plans, prices, floors and rooms in memory; it reads
this one value per booking to know whether its copy is still current. Triggers on the catalog
tables set a new value on any insert, update or delete, whoever writes. The value is never
reused (a sequence on PostgreSQL, a random 64-bit number on SQLite), so a change rolled back
cannot leave a copy of uncommitted data looking current.

Revision ID: booking_speed_0001
Revises: reservations_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "booking_speed_0001"
down_revision = "reservations_0001"
branch_labels = None
depends_on = None

TABLES = ("properties", "floors", "room_types", "rooms", "rate_plans", "rate_prices")


def upgrade() -> None:
    op.create_table(
        "catalog_stamp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_catalog_stamp_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_stamp")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def _postgresql() -> None:
    op.execute("CREATE SEQUENCE catalog_stamp_seq")
    op.execute("INSERT INTO catalog_stamp (id, stamp) VALUES (1, nextval('catalog_stamp_seq'))")
    op.execute(
        "CREATE FUNCTION catalog_stamp_bump() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN UPDATE catalog_stamp SET stamp = nextval('catalog_stamp_seq') WHERE id = 1; "
        "RETURN NULL; END $$"
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_catalog_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION catalog_stamp_bump()"
        )


def _sqlite() -> None:
    op.execute("INSERT INTO catalog_stamp (id, stamp) VALUES (1, random())")
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_catalog_stamp_{event.lower()} AFTER {event} ON {table} "
                "BEGIN UPDATE catalog_stamp SET stamp = random() WHERE id = 1; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_stamp ON {table}")
        op.execute("DROP FUNCTION IF EXISTS catalog_stamp_bump()")
        op.execute("DROP SEQUENCE IF EXISTS catalog_stamp_seq")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_stamp_{event}")
    op.drop_table("catalog_stamp")
