"""Events: on PostgreSQL, ``events`` partitioned by property (LIST on site) and month (RANGE on
ts); SQLite keeps its plain table.

Revision ID: events_0001
Revises: 0001_board

The stored rows move into the partitioned table (one partition per property and month they
span), and the current and next month of every known property are made ahead. A unique index of
a partitioned table must hold the partition key, so the primary key becomes (id, site, ts): an
event is redelivered with its envelope unchanged (the gateway's outbox keeps the payload it
published first), so its id, site and ts come back together and it is still stored once. The
downgrade folds the partitions back into one table keyed by id (the first row of an id kept).
See docs/events-partitions.md.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from cloud.board import partitions

revision = "events_0001"
down_revision = "0001_board"
branch_labels = ("events",)
depends_on = None

INDEXES = {
    "ix_events_room_ts": "site, floor, room, ts",
    "ix_events_source_seq": "source, seq",
    "ix_events_credential": "credential_id, ts",
}


def _primary_key(conn: sa.Connection, table: str) -> str:
    return str(conn.execute(sa.text(
        "SELECT conname FROM pg_constraint WHERE contype = 'p' AND conrelid = to_regclass(:t)"),
        {"t": table}).scalar_one())


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    pk = _primary_key(conn, "events")
    op.execute("ALTER TABLE events RENAME TO events_plain")
    op.execute(f'ALTER TABLE events_plain RENAME CONSTRAINT "{pk}" TO events_plain_pkey')
    for name in INDEXES:
        op.execute(f'ALTER INDEX "{name}" RENAME TO "{name}_plain"')
    op.execute("CREATE TABLE events (LIKE events_plain INCLUDING DEFAULTS) PARTITION BY LIST (site)")
    op.execute(f'ALTER TABLE events ADD CONSTRAINT "{pk}" PRIMARY KEY (id, site, ts)')
    for name, columns in INDEXES.items():
        op.execute(f'CREATE INDEX "{name}" ON events ({columns})')
    stored = conn.execute(sa.text(
        "SELECT DISTINCT site, date_trunc('month', ts AT TIME ZONE 'UTC')::date FROM events_plain")).all()
    ahead = {(site, month) for site in partitions.known_sites(conn)
             for month in partitions.months_ahead(datetime.now(UTC))}
    for site, month in sorted({(s, m) for s, m in stored} | ahead):
        partitions.create(conn, site, month)
    op.execute("INSERT INTO events SELECT * FROM events_plain")
    op.execute("DROP TABLE events_plain")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    pk = _primary_key(conn, "events")
    op.execute("CREATE TABLE events_plain (LIKE events INCLUDING DEFAULTS)")
    op.execute("ALTER TABLE events_plain ADD CONSTRAINT events_plain_pkey PRIMARY KEY (id)")
    op.execute("INSERT INTO events_plain SELECT * FROM events ORDER BY received_at, ts "
               "ON CONFLICT (id) DO NOTHING")
    op.execute("DROP TABLE events")  # its attached partitions with it; detached ones stay as they are
    op.execute("ALTER TABLE events_plain RENAME TO events")
    op.execute(f'ALTER TABLE events RENAME CONSTRAINT events_plain_pkey TO "{pk}"')
    for name, columns in INDEXES.items():
        op.execute(f'CREATE INDEX "{name}" ON events ({columns})')
