"""Reports: per-day sums of reservation nights and room revenue split by every report dimension (room
type, channel, segment, guest tier; rate plan and country read the ``none`` split), kept by
PostgreSQL triggers in the writing transaction, as reports_0003 keeps the undivided ones.

What a reservation night counts under depends on many tables (the stay's room on that night and the
room's type, the channel that sold it, the booking engine's mark, the group block, the guest's tier,
the reservation's status and plan), so the triggers do not compute differences table by table: each
write marks the reservations it touched (``reports_dims_dirty``, per transaction) and, when the
transaction commits, one deferred trigger has ``reports_dims_refresh`` recompute, once, what those
reservations contribute, per night, from the rows themselves, subtracts what they contributed before
(kept per reservation and night in ``reports_dim_marks``) and appends the difference to
``reports_dim_sums``. A refresh first locks the reservations' rows ``FOR NO KEY UPDATE`` (what an
update of the reservation takes), so two transactions touching the same reservation refresh it one
after the other and the second sees the first's marks. ``cloud/reports/day_sums.py`` folds the
appended rows, as it does reports_0003's.

On SQLite the tables stay empty and the reports read the rows themselves.

And a history of the channels' commission rates (``reports_commission_rates``): a rate from a date
on; a reservation pays the rate in force on the date it was booked (docs/reports.md#commissions).

Revision ID: reports_0006
Revises: reports_0005 (depends on guests_0001 for the guests' tier)
"""

import sqlalchemy as sa
from alembic import op

revision = "reports_0006"
down_revision = "reports_0005"
branch_labels = None
depends_on = ("guests_0001",)

SUMS = "nights, amount_minor, room_lines, room_net, room_gross"
KEY = "property_id, night, status, rate_plan_id, zero, room_type_id, channel, grouped, tier"

# what the given reservations contribute, per night, from the rows: their nights and the room-night
# lines posted on their folios, under the values each dimension takes for that night
CONTRIBUTION = """
CREATE FUNCTION reports_dims_of(ids text[]) RETURNS TABLE (
    reservation_id text, property_id integer, night date, status text, rate_plan_id integer, zero boolean,
    room_type_id integer, channel text, grouped boolean, tier text, nights bigint, amount_minor bigint,
    room_lines bigint, room_net bigint, room_gross bigint) AS $$
    WITH nights AS (
        SELECT n.reservation_id AS rid, n.night, bool_or(n.amount_minor = 0) AS zero, count(*) AS nights,
               sum(n.amount_minor) AS amount
        FROM reservation_nights n WHERE n.reservation_id = ANY(ids) GROUP BY 1, 2
    ), lines AS (
        SELECT f.reservation_id AS rid, c.night, count(*) AS lines, sum(c.net_minor) AS net,
               sum(c.gross_minor) AS gross
        FROM billing_folios f JOIN billing_charges c ON c.origin_folio_id = f.id
        WHERE f.reservation_id = ANY(ids) AND c.kind = 'room_night' AND c.night IS NOT NULL
        GROUP BY 1, 2
    ), cells AS (
        SELECT coalesce(n.rid, l.rid) AS rid, coalesce(n.night, l.night) AS night,
               coalesce(n.zero, false) AS zero, coalesce(n.nights, 0) AS nights,
               coalesce(n.amount, 0) AS amount, coalesce(l.lines, 0) AS lines,
               coalesce(l.net, 0) AS net, coalesce(l.gross, 0) AS gross
        FROM nights n FULL JOIN lines l ON l.rid = n.rid AND l.night = n.night
    )
    SELECT c.rid::text, r.property_id, c.night, r.status::text, r.rate_plan_id, c.zero,
           coalesce(stay.room_type_id, r.inventory_type_id),
           (CASE WHEN sold.code IS NOT NULL THEN sold.code
                 WHEN h.booked_online THEN 'web'
                 WHEN r.block_id IS NOT NULL THEN 'group' ELSE 'direct' END)::text,
           r.block_id IS NOT NULL, coalesce(g.tier, 'none')::text,
           c.nights, c.amount, c.lines, c.net, c.gross
    FROM cells c JOIN reservations r ON r.id = c.rid AND r.id = ANY(ids)  -- by its index, whatever the stats
    LEFT JOIN LATERAL (
        SELECT room.room_type_id FROM room_allocations a JOIN rooms room ON room.id = a.room_id
        WHERE a.reservation_id = r.id AND a.kind = 'stay' AND a.start_night <= c.night
              AND a.end_night > c.night
        ORDER BY a.id LIMIT 1) stay ON true
    LEFT JOIN LATERAL (
        SELECT ch.code FROM channel_reservations cr JOIN channels ch ON ch.id = cr.channel_id
        WHERE cr.reservation_id = r.id ORDER BY cr.id LIMIT 1) sold ON true
    LEFT JOIN guestweb_holds h ON h.reservation_id = r.id
    LEFT JOIN guests g ON g.id = r.guest_id
$$ LANGUAGE sql STABLE
"""

DELTA = ", ".join(f"sum(d.{c})" for c in SUMS.split(", "))
NONZERO = " OR ".join(f"sum(d.{c}) <> 0" for c in SUMS.split(", "))
REFRESH = f"""
CREATE FUNCTION reports_dims_refresh(ids text[]) RETURNS void AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    -- one refresh of a reservation at a time: the next one (in another transaction) waits and then
    -- reads the marks this one leaves
    PERFORM 1 FROM reservations WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
    WITH gone AS (
        DELETE FROM reports_dim_marks m WHERE m.reservation_id = ANY(ids)
        RETURNING {KEY}, -nights AS nights, -amount_minor AS amount_minor, -room_lines AS room_lines,
                  -room_net AS room_net, -room_gross AS room_gross
    ), made AS (
        INSERT INTO reports_dim_marks (reservation_id, {KEY}, {SUMS})
        SELECT * FROM reports_dims_of(ids)
        RETURNING {KEY}, {SUMS}
    ), d AS (SELECT * FROM gone UNION ALL SELECT * FROM made)
    INSERT INTO reports_dim_sums (property_id, night, dim, value, status, rate_plan_id, zero, folded, {SUMS})
    SELECT d.property_id, d.night, v.dim, v.value, d.status, d.rate_plan_id, d.zero, false, {DELTA}
    FROM d CROSS JOIN LATERAL (VALUES
        ('none', 'all'), ('room_type', d.room_type_id::text), ('channel', d.channel),
        ('segment', CASE WHEN d.grouped THEN 'group' ELSE 'transient' END), ('tier', d.tier)) v(dim, value)
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING {NONZERO};
END $$ LANGUAGE plpgsql
"""

# every table a dimension reads: the reservations each write touched (``rows`` is the transition
# table, new or old; an update names both)
TOUCHED = {
    "reservation_nights": ("SELECT reservation_id FROM {rows}", None),
    # a new reservation has no nights yet (they come after it): inserting one needs no refresh
    "reservations": (
        "SELECT id FROM {rows}",
        "SELECT w.id FROM new_rows w JOIN old_rows o USING (id) WHERE (o.property_id, o.status, "
        "o.rate_plan_id, o.block_id, o.guest_id, o.inventory_type_id) IS DISTINCT FROM (w.property_id, "
        "w.status, w.rate_plan_id, w.block_id, w.guest_id, w.inventory_type_id)"),
    "room_allocations": ("SELECT reservation_id FROM {rows} WHERE reservation_id IS NOT NULL", None),
    "rooms": (None,
              "SELECT a.reservation_id FROM new_rows w JOIN old_rows o USING (id) "
              "JOIN room_allocations a ON a.room_id = w.id WHERE a.reservation_id IS NOT NULL "
              "AND o.room_type_id IS DISTINCT FROM w.room_type_id"),
    "channel_reservations": ("SELECT reservation_id FROM {rows} WHERE reservation_id IS NOT NULL", None),
    "channels": (None,
                 "SELECT cr.reservation_id FROM new_rows w JOIN old_rows o USING (id) "
                 "JOIN channel_reservations cr ON cr.channel_id = w.id "
                 "WHERE cr.reservation_id IS NOT NULL AND o.code IS DISTINCT FROM w.code"),
    "guestweb_holds": ("SELECT reservation_id FROM {rows}", None),
    "guests": (None,
               "SELECT r.id FROM new_rows w JOIN old_rows o USING (id) "
               "JOIN reservations r ON r.guest_id = w.id WHERE o.tier IS DISTINCT FROM w.tier"),
    "billing_charges": ("SELECT f.reservation_id FROM {rows} c "
                        "JOIN billing_folios f ON f.id = c.origin_folio_id "
                        "WHERE c.kind = 'room_night' AND f.reservation_id IS NOT NULL", None),
    "billing_folios": (None,
                       "SELECT o.reservation_id FROM new_rows w JOIN old_rows o USING (id) "
                       "WHERE o.reservation_id IS DISTINCT FROM w.reservation_id "
                       "AND o.reservation_id IS NOT NULL "
                       "UNION SELECT w.reservation_id FROM new_rows w JOIN old_rows o USING (id) "
                       "WHERE o.reservation_id IS DISTINCT FROM w.reservation_id "
                       "AND w.reservation_id IS NOT NULL"),
}
NO_INSERT = ("reservations",)
# tables whose TRUNCATE leaves the marks wrong: everything is recomputed
TRUNCATED = ("reservation_nights", "reservations", "room_allocations", "channel_reservations",
             "guestweb_holds", "billing_charges", "billing_folios")


# the reservations this transaction touched, refreshed once each when it commits: a write only marks
# them (a mark already there is left alone, and a conflicting insert fires no trigger, so there is one
# deferred refresh per reservation and transaction); the first deferred trigger to fire refreshes every
# reservation the transaction marked, in one set, and takes the marks away (the triggers of the marks
# it took find theirs gone and do nothing). The marks never outlive their transaction: the table is
# empty for every other one, and unlogged.
DIRTY = [
    "CREATE UNLOGGED TABLE reports_dims_dirty (xact xid8 NOT NULL DEFAULT pg_current_xact_id(), "
    "reservation_id text NOT NULL, PRIMARY KEY (xact, reservation_id))",
    "CREATE FUNCTION reports_dims_flush() RETURNS trigger AS $$\n"
    "DECLARE ids text[];\n"
    "BEGIN\n"
    "    WITH taken AS (DELETE FROM reports_dims_dirty WHERE xact = NEW.xact RETURNING reservation_id)\n"
    "    SELECT array_agg(reservation_id ORDER BY reservation_id) INTO ids FROM taken;\n"
    "    PERFORM reports_dims_refresh(ids);\n"
    "    RETURN NULL;\n"
    "END $$ LANGUAGE plpgsql",
    "CREATE CONSTRAINT TRIGGER reports_dims_flush AFTER INSERT ON reports_dims_dirty "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION reports_dims_flush()",
]


def _statements() -> list[str]:
    out: list[str] = []
    for table, (rows, updated) in TOUCHED.items():
        branches = []
        if rows is not None:
            if table not in NO_INSERT:
                branches.append(("INSERT", rows.format(rows="new_rows")))
            branches.append(("DELETE", rows.format(rows="old_rows")))
        update = updated or (f"{rows.format(rows='new_rows')} UNION {rows.format(rows='old_rows')}"
                             if rows is not None else None)
        assert update is not None
        branches.append(("UPDATE", update))
        body = "\n".join(
            f"    {'IF' if n == 0 else 'ELSIF'} TG_OP = '{op_}' THEN\n"
            f"        INSERT INTO reports_dims_dirty (reservation_id)\n"
            f"        SELECT DISTINCT t.id FROM ({query}) t(id) WHERE t.id IS NOT NULL"
            " ON CONFLICT DO NOTHING;"
            for n, (op_, query) in enumerate(branches))
        out.append(f"CREATE FUNCTION reports_dims_{table}() RETURNS trigger AS $$\nBEGIN\n{body}\n"
                   "    END IF;\n    RETURN NULL;\nEND $$ LANGUAGE plpgsql")
        for op_, _ in branches:
            tables = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
                      "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}[op_]
            out.append(f"CREATE TRIGGER reports_dims_{op_.lower()} AFTER {op_} ON {table} "
                       f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION reports_dims_{table}()")
    out += DIRTY
    out.append("CREATE FUNCTION reports_dims_rebuild() RETURNS trigger AS $$ BEGIN "
               "DELETE FROM reports_dim_sums; DELETE FROM reports_dim_marks; "
               "PERFORM reports_dims_refresh(ARRAY(SELECT id FROM reservations)); "
               "RETURN NULL; END $$ LANGUAGE plpgsql")
    for table in TRUNCATED:
        out.append(f"CREATE TRIGGER reports_dims_truncate AFTER TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION reports_dims_rebuild()")
    return out


def _drops() -> list[str]:
    out = []
    for table, (rows, _) in TOUCHED.items():
        ops = (["insert", "delete"] if rows is not None else []) + ["update"]  # IF EXISTS: insert may be none
        out += [f"DROP TRIGGER IF EXISTS reports_dims_{o} ON {table}" for o in ops]
    out += [f"DROP TRIGGER IF EXISTS reports_dims_truncate ON {table}" for table in TRUNCATED]
    out += [f"DROP FUNCTION IF EXISTS reports_dims_{table}()" for table in TOUCHED]
    out += ["DROP TABLE IF EXISTS reports_dims_dirty",  # and its trigger
            "DROP FUNCTION IF EXISTS reports_dims_flush()",
            "DROP FUNCTION IF EXISTS reports_dims_rebuild()",
            "DROP FUNCTION IF EXISTS reports_dims_refresh(text[])",
            "DROP FUNCTION IF EXISTS reports_dims_of(text[])",
            "DROP INDEX IF EXISTS ix_billing_charges_room_nights_origin"]
    return out


def _sums() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column(c, sa.BigInteger(), nullable=False) for c in SUMS.split(", ")]


def upgrade() -> None:
    op.create_table(
        "reports_commission_rates",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channels.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.UniqueConstraint("channel_id", "effective_from", name="uq_reports_commission_rates_channel_from"),
        sa.CheckConstraint("rate_bp BETWEEN 0 AND 10000",
                           name=op.f("ck_reports_commission_rates_rate_range")),
    )
    op.create_table(
        "reports_dim_marks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("reservation_id", sa.String(26), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("night", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rate_plan_id", sa.Integer(), nullable=False),
        sa.Column("zero", sa.Boolean(), nullable=False),
        sa.Column("room_type_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("grouped", sa.Boolean(), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        *_sums(),
    )
    op.create_index("ix_reports_dim_marks_reservation_id", "reports_dim_marks", ["reservation_id"])
    op.create_table(
        "reports_dim_sums",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("night", sa.Date(), nullable=False),
        sa.Column("dim", sa.String(12), nullable=False),
        sa.Column("value", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rate_plan_id", sa.Integer(), nullable=False),
        sa.Column("zero", sa.Boolean(), nullable=False),
        sa.Column("folded", sa.Boolean(), nullable=False),
        *_sums(),
    )
    op.create_index("ix_reports_dim_sums_property_dim_night", "reports_dim_sums",
                    ["property_id", "dim", "night"])
    op.create_index("uq_reports_dim_sums_folded", "reports_dim_sums",
                    ["property_id", "night", "dim", "value", "status", "rate_plan_id", "zero"], unique=True,
                    postgresql_where=sa.text("folded"), sqlite_where=sa.text("folded"))
    if op.get_bind().dialect.name != "postgresql":
        return
    # a refresh finds a reservation's room-night lines through its folios without reading the others
    op.execute("CREATE INDEX ix_billing_charges_room_nights_origin ON billing_charges (origin_folio_id) "
               "WHERE kind = 'room_night'")
    for statement in [CONTRIBUTION, REFRESH, *_statements()]:
        op.execute(statement)
    # what was written before the triggers existed, summed once and folded
    op.execute("SELECT reports_dims_refresh(ARRAY(SELECT id FROM reservations))")
    op.execute(
        f"WITH gone AS (DELETE FROM reports_dim_sums RETURNING property_id, night, dim, value, status, "
        f"rate_plan_id, zero, {SUMS}) "
        "INSERT INTO reports_dim_sums (property_id, night, dim, value, status, rate_plan_id, zero, folded, "
        f"{SUMS}) "
        f"SELECT property_id, night, dim, value, status, rate_plan_id, zero, true, "
        f"{', '.join(f'sum({c})' for c in SUMS.split(', '))} FROM gone "
        "GROUP BY property_id, night, dim, value, status, rate_plan_id, zero")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _drops():
            op.execute(statement)
    op.drop_table("reports_dim_sums")
    op.drop_table("reports_dim_marks")
    op.drop_table("reports_commission_rates")
