"""Reports: per-day sums of reservation nights, folio lines and payments, kept by PostgreSQL triggers.

Every write that changes what a night, a line or a payment counts for (a night added, re-priced or
given back; a reservation's status, plan or property changed, or the reservation deleted; a line
posted; a payment settled) appends its difference to a sum per key, in the writing transaction, so
the sums are exact at every commit. Charges are never changed once posted (billing_0001's guard)
and payments change only while pending. The triggers only append rows (no row is updated by a
write: no lock is waited for and no deadlock is possible); ``cloud/reports/day_sums.py`` folds them
into one row per key now and then.
On SQLite the tables stay empty and the reports read the lines themselves.

Revision ID: reports_0003
Revises: reports_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "reports_0003"
down_revision = "reports_0002"
branch_labels = None
depends_on = ("billing_0003",)  # the folio lines and payments the triggers read

# the day a line counts for: a stay's room night by its night; every other line by the local
# date it was posted in the property's zone (kept beside it: a zone changed later is seen)
CHARGES = """
CREATE FUNCTION reports_charge_days_add() RETURNS trigger AS $$
BEGIN
    INSERT INTO reports_charge_days (site, kind, day, zone, folded, net_minor, gross_minor)
    SELECT f.site, c.kind,
           CASE WHEN c.kind = 'room_night' THEN c.night ELSE date(timezone(p.timezone, c.posted_at)) END,
           CASE WHEN c.kind = 'room_night' THEN '' ELSE p.timezone END,
           false, sum(c.net_minor), sum(c.gross_minor)
    FROM new_lines c JOIN billing_folios f ON f.id = c.origin_folio_id JOIN properties p ON p.slug = f.site
    WHERE c.kind <> 'room_night' OR (f.reservation_id IS NOT NULL AND c.night IS NOT NULL)
    GROUP BY 1, 2, 3, 4;
    RETURN NULL;
END $$ LANGUAGE plpgsql
"""
PAYMENTS = """
CREATE FUNCTION reports_payment_days_add() RETURNS trigger AS $$
BEGIN
    INSERT INTO reports_payment_days (site, direction, day, zone, folded, amount_minor)
    SELECT f.site, m.direction, date(timezone(p.timezone, m.created_at)), p.timezone, false,
           sum(m.sign * m.amount_minor)
    FROM (SELECT folio_id, direction, created_at, amount_minor, 1 AS sign FROM new_moves
          WHERE status = 'succeeded'
          UNION ALL
          SELECT folio_id, direction, created_at, amount_minor, -1 FROM old_moves
          WHERE status = 'succeeded') m
    JOIN billing_folios f ON f.id = m.folio_id JOIN properties p ON p.slug = f.site
    GROUP BY 1, 2, 3, 4 HAVING sum(m.sign * m.amount_minor) <> 0;
    RETURN NULL;
END $$ LANGUAGE plpgsql
"""
# a night counts under its reservation's property, status and plan, and whether it is priced 0
NIGHTS = """
CREATE FUNCTION reports_night_sums_{name}() RETURNS trigger AS $$
BEGIN
    INSERT INTO reports_night_sums
        (property_id, night, status, rate_plan_id, zero, folded, nights, amount_minor)
    SELECT r.property_id, n.night, r.status, r.rate_plan_id, n.amount_minor = 0, false,
           sum(n.sign), sum(n.sign * n.amount_minor)
    FROM ({rows}) n JOIN reservations r ON r.id = n.reservation_id
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(n.sign) <> 0 OR sum(n.sign * n.amount_minor) <> 0;
    RETURN NULL;
END $$ LANGUAGE plpgsql
"""
ADDED = "SELECT reservation_id, night, amount_minor, 1 AS sign FROM new_nights"
GONE = "SELECT reservation_id, night, amount_minor, -1 AS sign FROM old_nights"
# a reservation whose status, plan or property changed moves its nights from the old key to the new
MOVED = """
CREATE FUNCTION reports_night_sums_moved() RETURNS trigger AS $$
BEGIN
    INSERT INTO reports_night_sums
        (property_id, night, status, rate_plan_id, zero, folded, nights, amount_minor)
    SELECT m.property_id, n.night, m.status, m.rate_plan_id, n.amount_minor = 0, false,
           sum(m.sign), sum(m.sign * n.amount_minor)
    FROM (SELECT o.id, o.property_id, o.status, o.rate_plan_id, -1 AS sign
          FROM old_res o JOIN new_res w USING (id)
          WHERE (o.property_id, o.status, o.rate_plan_id)
                IS DISTINCT FROM (w.property_id, w.status, w.rate_plan_id)
          UNION ALL
          SELECT w.id, w.property_id, w.status, w.rate_plan_id, 1
          FROM old_res o JOIN new_res w USING (id)
          WHERE (o.property_id, o.status, o.rate_plan_id)
                IS DISTINCT FROM (w.property_id, w.status, w.rate_plan_id)) m
    JOIN reservation_nights n ON n.reservation_id = m.id
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(m.sign) <> 0 OR sum(m.sign * n.amount_minor) <> 0;
    RETURN NULL;
END $$ LANGUAGE plpgsql
"""
# a deleted reservation takes its nights out before its cascade deletes them (whose own trigger then
# finds no reservation to count them under)
DELETED = """
CREATE FUNCTION reports_night_sums_deleted() RETURNS trigger AS $$
BEGIN
    INSERT INTO reports_night_sums
        (property_id, night, status, rate_plan_id, zero, folded, nights, amount_minor)
    SELECT OLD.property_id, n.night, OLD.status, OLD.rate_plan_id, n.amount_minor = 0, false,
           -count(*), -sum(n.amount_minor)
    FROM reservation_nights n WHERE n.reservation_id = OLD.id GROUP BY 1, 2, 3, 4, 5;
    RETURN OLD;
END $$ LANGUAGE plpgsql
"""
NIGHT_TRIGGERS = [
    NIGHTS.format(name="added", rows=ADDED),
    NIGHTS.format(name="gone", rows=GONE),
    NIGHTS.format(name="changed", rows=f"{ADDED} UNION ALL {GONE}"),
    MOVED,
    DELETED,
    "CREATE TRIGGER reports_night_sums_added AFTER INSERT ON reservation_nights REFERENCING NEW TABLE AS "
    "new_nights FOR EACH STATEMENT EXECUTE FUNCTION reports_night_sums_added()",
    "CREATE TRIGGER reports_night_sums_gone AFTER DELETE ON reservation_nights REFERENCING OLD TABLE AS "
    "old_nights FOR EACH STATEMENT EXECUTE FUNCTION reports_night_sums_gone()",
    "CREATE TRIGGER reports_night_sums_changed AFTER UPDATE ON reservation_nights REFERENCING OLD TABLE AS "
    "old_nights NEW TABLE AS new_nights FOR EACH STATEMENT EXECUTE FUNCTION reports_night_sums_changed()",
    "CREATE TRIGGER reports_night_sums_moved AFTER UPDATE ON reservations REFERENCING OLD TABLE AS old_res "
    "NEW TABLE AS new_res FOR EACH STATEMENT EXECUTE FUNCTION reports_night_sums_moved()",
    "CREATE TRIGGER reports_night_sums_deleted BEFORE DELETE ON reservations "
    "FOR EACH ROW EXECUTE FUNCTION reports_night_sums_deleted()",
    "CREATE FUNCTION reports_night_sums_clear() RETURNS trigger AS $$ BEGIN DELETE FROM reports_night_sums; "
    "RETURN NULL; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER reports_night_sums_clear AFTER TRUNCATE ON reservation_nights "
    "FOR EACH STATEMENT EXECUTE FUNCTION reports_night_sums_clear()",
]
TRIGGERS = [
    *NIGHT_TRIGGERS,
    CHARGES,
    "CREATE TRIGGER reports_charge_days AFTER INSERT ON billing_charges REFERENCING NEW TABLE AS new_lines "
    "FOR EACH STATEMENT EXECUTE FUNCTION reports_charge_days_add()",
    "CREATE FUNCTION reports_charge_days_clear() RETURNS trigger AS $$ "
    "BEGIN DELETE FROM reports_charge_days; "
    "RETURN NULL; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER reports_charge_days_clear AFTER TRUNCATE ON billing_charges "
    "FOR EACH STATEMENT EXECUTE FUNCTION reports_charge_days_clear()",
    PAYMENTS,
    # an UPDATE trigger needs both tables; an INSERT one may name only the new (PostgreSQL's rule)
    "CREATE FUNCTION reports_payment_days_insert() RETURNS trigger AS $$ BEGIN "
    "INSERT INTO reports_payment_days (site, direction, day, zone, folded, amount_minor) "
    "SELECT f.site, m.direction, date(timezone(p.timezone, m.created_at)), p.timezone, false, "
    "sum(m.amount_minor) FROM new_moves m JOIN billing_folios f ON f.id = m.folio_id "
    "JOIN properties p ON p.slug = f.site WHERE m.status = 'succeeded' GROUP BY 1, 2, 3, 4; "
    "RETURN NULL; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER reports_payment_days_insert AFTER INSERT ON billing_payments "
    "REFERENCING NEW TABLE AS new_moves FOR EACH STATEMENT EXECUTE FUNCTION reports_payment_days_insert()",
    "CREATE TRIGGER reports_payment_days_update AFTER UPDATE ON billing_payments "
    "REFERENCING OLD TABLE AS old_moves NEW TABLE AS new_moves "
    "FOR EACH STATEMENT EXECUTE FUNCTION reports_payment_days_add()",
    "CREATE FUNCTION reports_payment_days_clear() RETURNS trigger AS $$ "
    "BEGIN DELETE FROM reports_payment_days; "
    "RETURN NULL; END $$ LANGUAGE plpgsql",
    "CREATE TRIGGER reports_payment_days_clear AFTER TRUNCATE ON billing_payments "
    "FOR EACH STATEMENT EXECUTE FUNCTION reports_payment_days_clear()",
]
# what was posted before the triggers existed, folded once
BACKFILL = [
    "INSERT INTO reports_night_sums "
    "(property_id, night, status, rate_plan_id, zero, folded, nights, amount_minor) "
    "SELECT r.property_id, n.night, r.status, r.rate_plan_id, n.amount_minor = 0, true, count(*), "
    "sum(n.amount_minor) FROM reservation_nights n JOIN reservations r ON r.id = n.reservation_id "
    "GROUP BY 1, 2, 3, 4, 5",
    "INSERT INTO reports_charge_days (site, kind, day, zone, folded, net_minor, gross_minor) "
    "SELECT f.site, c.kind, CASE WHEN c.kind = 'room_night' THEN c.night "
    "ELSE date(timezone(p.timezone, c.posted_at)) END, "
    "CASE WHEN c.kind = 'room_night' THEN '' ELSE p.timezone END, true, sum(c.net_minor), sum(c.gross_minor) "
    "FROM billing_charges c JOIN billing_folios f ON f.id = c.origin_folio_id "
    "JOIN properties p ON p.slug = f.site "
    "WHERE c.kind <> 'room_night' OR (f.reservation_id IS NOT NULL AND c.night IS NOT NULL) "
    "GROUP BY 1, 2, 3, 4",
    "INSERT INTO reports_payment_days (site, direction, day, zone, folded, amount_minor) "
    "SELECT f.site, m.direction, date(timezone(p.timezone, m.created_at)), p.timezone, true, "
    "sum(m.amount_minor) "
    "FROM billing_payments m JOIN billing_folios f ON f.id = m.folio_id JOIN properties p ON p.slug = f.site "
    "WHERE m.status = 'succeeded' GROUP BY 1, 2, 3, 4",
]
DROP = [
    "DROP TRIGGER IF EXISTS reports_night_sums_added ON reservation_nights",
    "DROP TRIGGER IF EXISTS reports_night_sums_gone ON reservation_nights",
    "DROP TRIGGER IF EXISTS reports_night_sums_changed ON reservation_nights",
    "DROP TRIGGER IF EXISTS reports_night_sums_clear ON reservation_nights",
    "DROP TRIGGER IF EXISTS reports_night_sums_moved ON reservations",
    "DROP TRIGGER IF EXISTS reports_night_sums_deleted ON reservations",
    *(f"DROP FUNCTION IF EXISTS reports_night_sums_{name}()"
      for name in ("added", "gone", "changed", "moved", "deleted", "clear")),
    "DROP TRIGGER IF EXISTS reports_charge_days ON billing_charges",
    "DROP TRIGGER IF EXISTS reports_charge_days_clear ON billing_charges",
    "DROP TRIGGER IF EXISTS reports_payment_days_insert ON billing_payments",
    "DROP TRIGGER IF EXISTS reports_payment_days_update ON billing_payments",
    "DROP TRIGGER IF EXISTS reports_payment_days_clear ON billing_payments",
    "DROP FUNCTION IF EXISTS reports_charge_days_add()",
    "DROP FUNCTION IF EXISTS reports_charge_days_clear()",
    "DROP FUNCTION IF EXISTS reports_payment_days_add()",
    "DROP FUNCTION IF EXISTS reports_payment_days_insert()",
    "DROP FUNCTION IF EXISTS reports_payment_days_clear()",
]


def _table(name: str, key: str, sums: list[sa.Column]) -> None:  # type: ignore[type-arg]
    op.create_table(
        name,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column(key, sa.String(16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("folded", sa.Boolean(), nullable=False),
        *sums,
    )
    op.create_index(f"ix_{name}_site_day", name, ["site", "day"])
    # one folded row per key: folding adds to it (ON CONFLICT), appended rows are never unique
    op.create_index(f"uq_{name}_folded", name, ["site", key, "day", "zone"], unique=True,
                    postgresql_where=sa.text("folded"), sqlite_where=sa.text("folded"))


def upgrade() -> None:
    op.create_table(
        "reports_night_sums",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("night", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rate_plan_id", sa.Integer(), nullable=False),
        sa.Column("zero", sa.Boolean(), nullable=False),
        sa.Column("folded", sa.Boolean(), nullable=False),
        sa.Column("nights", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_reports_night_sums_property_night", "reports_night_sums", ["property_id", "night"])
    op.create_index("uq_reports_night_sums_folded", "reports_night_sums",
                    ["property_id", "night", "status", "rate_plan_id", "zero"], unique=True,
                    postgresql_where=sa.text("folded"), sqlite_where=sa.text("folded"))
    _table("reports_charge_days", "kind", [sa.Column("net_minor", sa.BigInteger(), nullable=False),
                                           sa.Column("gross_minor", sa.BigInteger(), nullable=False)])
    _table("reports_payment_days", "direction", [sa.Column("amount_minor", sa.BigInteger(), nullable=False)])
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in TRIGGERS + BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DROP:
            op.execute(statement)
    op.drop_table("reports_payment_days")
    op.drop_table("reports_charge_days")
    op.drop_table("reports_night_sums")
