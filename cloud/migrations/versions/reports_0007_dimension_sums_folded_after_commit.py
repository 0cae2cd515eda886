"""Reports: the dimension sums are refreshed after the writers commit, not in their commit.

Under reports_0006 every writing transaction refreshed, at its commit, each reservation it had
touched (a deferred constraint trigger on ``reports_dims_dirty``): the booking path paid for the
reports' sums. Now a writer only leaves its marks (the statement triggers of reports_0006, unchanged:
one row per transaction and reservation in ``reports_dims_dirty``), and they commit with it.
``reports_dims_fold()`` folds them into the sums: it takes one lock (a transaction-level advisory
lock, so two folds run one after the other and never count a change twice), takes away the marks
committed so far (a ``DELETE``: marks of transactions still running are not seen and stay), and
refreshes all those reservations in one set-based statement, reading the rows in a snapshot taken
after the marks were taken: a write that commits while a fold runs either is in that snapshot or
left a mark the fold did not take, and is folded again by the next fold. The app's worker runs it
every second and a report split by a dimension runs it (and commits it) before reading the
sums (cloud/reports/day_sums.py), so what a report reads is exact as of its start.

The marks now outlive their transaction, so the table is logged (an unlogged table is emptied by a
crash, and the sums would silently miss those writes).

The refresh itself no longer rewrites what did not change: it compares what each reservation
contributes per night with what it contributed before (``reports_dim_marks``) and deletes,
inserts and sums only the nights that differ. It no longer locks the reservations' rows (only
folds refresh, one at a time). A ``TRUNCATE`` of a table the sums read marks every reservation
(those there and those the sums still count) instead of recomputing everything in the truncating
transaction.

Revision ID: reports_0007
Revises: reports_0006
"""

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import op

revision = "reports_0007"
down_revision = "reports_0006"
branch_labels = None
depends_on = None

SUMS = ("nights", "amount_minor", "room_lines", "room_net", "room_gross")
KEYS = ("property_id", "night", "status", "rate_plan_id", "zero", "room_type_id", "channel", "grouped",
        "tier")
KEY = ", ".join(KEYS)
ALL = ", ".join(SUMS)
# everything a mark holds besides its reservation and night: a night whose values are all the same
# as before is left alone
HELD = [c for c in KEYS if c != "night"] + list(SUMS)
LOCK = 0x7265706F  # the folds' advisory lock ("repo")

REFRESH = f"""
CREATE OR REPLACE FUNCTION reports_dims_refresh(ids text[]) RETURNS void AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    WITH made AS MATERIALIZED (
        SELECT * FROM reports_dims_of(ids)
    ), had AS MATERIALIZED (
        SELECT * FROM reports_dim_marks m WHERE m.reservation_id = ANY(ids)
    ), diff AS MATERIALIZED (
        SELECT h.id AS old_id, n.* FROM had h FULL JOIN made n
            ON n.reservation_id = h.reservation_id AND n.night = h.night
        WHERE ({", ".join(f"h.{c}" for c in HELD)}) IS DISTINCT FROM ({", ".join(f"n.{c}" for c in HELD)})
    ), gone AS (
        DELETE FROM reports_dim_marks m USING diff WHERE m.id = diff.old_id
        RETURNING {", ".join(f"m.{c}" for c in KEYS)}, {", ".join(f"-m.{c} AS {c}" for c in SUMS)}
    ), put AS (
        INSERT INTO reports_dim_marks (reservation_id, {KEY}, {ALL})
        SELECT reservation_id, {KEY}, {ALL} FROM diff WHERE diff.reservation_id IS NOT NULL
        RETURNING {KEY}, {ALL}
    ), d AS (SELECT * FROM gone UNION ALL SELECT * FROM put)
    INSERT INTO reports_dim_sums (property_id, night, dim, value, status, rate_plan_id, zero, folded, {ALL})
    SELECT d.property_id, d.night, v.dim, v.value, d.status, d.rate_plan_id, d.zero, false,
           {", ".join(f"sum(d.{c})" for c in SUMS)}
    FROM d CROSS JOIN LATERAL (VALUES
        ('none', 'all'), ('room_type', d.room_type_id::text), ('channel', d.channel),
        ('segment', CASE WHEN d.grouped THEN 'group' ELSE 'transient' END), ('tier', d.tier)) v(dim, value)
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING {" OR ".join(f"sum(d.{c}) <> 0" for c in SUMS)};
END $$ LANGUAGE plpgsql
"""

FOLD = f"""
CREATE FUNCTION reports_dims_fold() RETURNS integer AS $$
DECLARE ids text[];
BEGIN
    -- one fold at a time; the next one waits here and then sees this one's marks and sums
    PERFORM pg_advisory_xact_lock({LOCK});
    -- the marks committed so far (this statement's snapshot is taken after the lock)
    WITH taken AS (DELETE FROM reports_dims_dirty RETURNING reservation_id)
    SELECT array_agg(DISTINCT reservation_id ORDER BY reservation_id) INTO ids FROM taken;
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    -- read in a later snapshot: every write whose mark was taken is in it
    PERFORM reports_dims_refresh(ids);
    RETURN cardinality(ids);
END $$ LANGUAGE plpgsql
"""

# a TRUNCATE marks every reservation there is and every one the sums still count (those truncated
# away): the next fold takes what they contributed out and puts what is left back in
REBUILD = """
CREATE OR REPLACE FUNCTION reports_dims_rebuild() RETURNS trigger AS $$
BEGIN
    INSERT INTO reports_dims_dirty (reservation_id)
    SELECT id FROM reservations UNION SELECT reservation_id FROM reports_dim_marks
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$ LANGUAGE plpgsql
"""


def _before() -> ModuleType:
    """reports_0006, whose functions a downgrade puts back."""
    path = Path(__file__).with_name("reports_0006_dimension_sums_and_commission_rates.py")
    spec = importlib.util.spec_from_file_location("reports_0006_for_downgrade", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # what the old commits left is already in the sums: the table is empty outside a transaction
    op.execute("DROP TRIGGER IF EXISTS reports_dims_flush ON reports_dims_dirty")
    op.execute("DROP FUNCTION IF EXISTS reports_dims_flush()")
    op.execute("ALTER TABLE reports_dims_dirty SET LOGGED")
    op.execute(REFRESH)
    op.execute(FOLD)
    op.execute(REBUILD)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    before = _before()
    op.execute("SELECT reports_dims_fold()")  # the marks left, into the sums
    op.execute("DROP FUNCTION IF EXISTS reports_dims_fold()")
    op.execute("ALTER TABLE reports_dims_dirty SET UNLOGGED")
    op.execute(before.REFRESH.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
    for statement in before.DIRTY[1:]:  # the flush function and its deferred trigger
        op.execute(statement)
    op.execute("CREATE OR REPLACE FUNCTION reports_dims_rebuild() RETURNS trigger AS $$ BEGIN "
               "DELETE FROM reports_dim_sums; DELETE FROM reports_dim_marks; "
               "PERFORM reports_dims_refresh(ARRAY(SELECT id FROM reservations)); "
               "RETURN NULL; END $$ LANGUAGE plpgsql")
