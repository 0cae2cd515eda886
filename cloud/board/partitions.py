"""The events table on PostgreSQL: partitioned by property (LIST on ``site``), each property by
month (RANGE on ``ts``, months in UTC). See docs/events-partitions.md.

A partition is created ahead (the current and next month of every known property, by the
migration and by a periodic round of the cloud), and on demand by the ingest store before a batch
that needs one; old months are detached for retention. Creation and attachment take a SHARE UPDATE
EXCLUSIVE lock on the parent (``CREATE TABLE ... (LIKE ...)`` then ``ATTACH PARTITION``), so
reads of the board and the ingest's writes go on meanwhile. SQLite keeps a plain table: every
function here is a no-op there.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy.exc
from sqlalchemy import Connection, text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

PARENT = "events"
MONTHS_AHEAD = 1  # the current month and the next one always exist for every known property

Month = date  # the first day of a month


def month_of(ts: datetime) -> Month:
    """The UTC month an event's timestamp falls in."""
    if ts.tzinfo is not UTC:  # envelopes' times are UTC already: this is the rare case
        ts = ts.astimezone(UTC) if ts.tzinfo else ts.replace(tzinfo=UTC)
    return date(ts.year, ts.month, 1)


def next_month(month: Month) -> Month | None:
    """The month after; None after December 9999 (the last a date holds: its partition is open-ended)."""
    if month.month < 12:
        return date(month.year, month.month + 1, 1)
    return date(month.year + 1, 1, 1) if month.year < 9999 else None


def parse_month(value: str) -> Month:
    """``YYYY-MM`` as a month; a clear error otherwise."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1970:
        raise ValueError(f"not a month (YYYY-MM): {value!r}")
    return date(int(match.group(1)), int(match.group(2)), 1)


def site_table(site: str) -> str:
    """The property's partition: readable, and unique by a hash (sites may hold characters an
    identifier cannot, and two sites may read alike once those are replaced)."""
    slug = re.sub(r"[^a-z0-9]+", "_", site.lower()).strip("_")[:32]
    digest = hashlib.sha1(site.encode()).hexdigest()[:8]
    return f"{PARENT}_{slug}_{digest}" if slug else f"{PARENT}_{digest}"


def month_table(site: str, month: Month) -> str:
    """A property's month: at most 7 + 32 + 9 + 7 = 55 characters (PostgreSQL keeps 63)."""
    return f"{site_table(site)}_{month.year:04d}{month.month:02d}"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _bound(month: Month | None) -> str:
    return "MAXVALUE" if month is None else _literal(f"{month.isoformat()} 00:00:00+00")


def is_partitioned(conn: Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    return bool(conn.execute(text(
        "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE c.relname = :name AND c.relnamespace = to_regnamespace(current_schema())::oid"),
        {"name": PARENT}).first())


def existing(conn: Connection) -> set[tuple[str, Month]]:
    """The (site, month) partitions attached now, read from the catalog: a site partition's
    LIST value, and each month's name (its bounds print in the session's time zone)."""
    rows = conn.execute(text(
        "SELECT s.relname, pg_get_expr(s.relpartbound, s.oid), m.relname, "
        "       pg_get_expr(m.relpartbound, m.oid) "
        "FROM pg_inherits i JOIN pg_class s ON s.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent "
        "LEFT JOIN pg_inherits j ON j.inhparent = s.oid LEFT JOIN pg_class m ON m.oid = j.inhrelid "
        "WHERE p.relname = :parent AND p.relnamespace = to_regnamespace(current_schema())::oid"),
        {"parent": PARENT}).all()
    out: set[tuple[str, Month]] = set()
    for _site_name, site_bound, month_name, month_bound in rows:
        site = re.fullmatch(r"FOR VALUES IN \('((?:[^']|'')*)'\)", site_bound or "")
        suffix = re.search(r"_(\d{4})(\d{2})$", month_name or "")
        if site and suffix and month_bound and 1 <= int(suffix.group(2)) <= 12:
            out.add((site.group(1).replace("''", "'"), date(int(suffix.group(1)), int(suffix.group(2)), 1)))
    return out


def _sites_attached(conn: Connection) -> set[str]:
    rows = conn.execute(text(
        "SELECT pg_get_expr(s.relpartbound, s.oid) FROM pg_inherits i "
        "JOIN pg_class s ON s.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
        "WHERE p.relname = :parent AND p.relnamespace = to_regnamespace(current_schema())::oid"),
        {"parent": PARENT}).scalars()
    sites = set()
    for bound in rows:
        match = re.fullmatch(r"FOR VALUES IN \('((?:[^']|'')*)'\)", bound or "")
        if match:
            sites.add(match.group(1).replace("''", "'"))
    return sites


def create(conn: Connection, site: str, month: Month) -> bool:
    """The partition of ``site``'s ``month`` (and the site's own, the first time); True when one
    was made. Run in a transaction of its own: the catalog locks are held until it commits."""
    made = False
    parent_of_month = site_table(site)
    if site not in _sites_attached(conn):
        conn.execute(text(f'CREATE TABLE IF NOT EXISTS "{parent_of_month}" '
                          f"(LIKE {PARENT} INCLUDING DEFAULTS) PARTITION BY RANGE (ts)"))
        conn.execute(text(f'ALTER TABLE {PARENT} ATTACH PARTITION "{parent_of_month}" '
                          f"FOR VALUES IN ({_literal(site)})"))
        made = True
    if (site, month) not in existing_for(conn, site):
        leaf = month_table(site, month)
        conn.execute(text(f'CREATE TABLE IF NOT EXISTS "{leaf}" (LIKE {PARENT} INCLUDING DEFAULTS)'))
        # the bound as a CHECK first: ATTACH then skips its scan of the (new, empty) table
        after = next_month(month)
        upper = "" if after is None else f" AND ts < {_bound(after)}"
        conn.execute(text(f'ALTER TABLE "{leaf}" ADD CONSTRAINT "{leaf}_bound" CHECK '
                          f"(site = {_literal(site)} AND ts >= {_bound(month)}{upper})"))
        conn.execute(text(f'ALTER TABLE "{parent_of_month}" ATTACH PARTITION "{leaf}" '
                          f"FOR VALUES FROM ({_bound(month)}) TO ({_bound(after)})"))
        conn.execute(text(f'ALTER TABLE "{leaf}" DROP CONSTRAINT "{leaf}_bound"'))
        made = True
    return made


def existing_for(conn: Connection, site: str) -> set[tuple[str, Month]]:
    return {pair for pair in existing(conn) if pair[0] == site}


def known_sites(conn: Connection) -> set[str]:
    """Every property the cloud has heard of: its gateways, and the partitions already made."""
    sites = set(conn.execute(text("SELECT DISTINCT site FROM gateways")).scalars())
    return sites | _sites_attached(conn)


def months_ahead(now: datetime, ahead: int = MONTHS_AHEAD) -> list[Month]:
    months = [month_of(now)]
    for _ in range(ahead):
        after = next_month(months[-1])
        if after is None:
            break
        months.append(after)
    return months


@dataclass
class Detached:
    table: str
    site: str
    month: Month


class EventPartitions:
    """The partitions of ``events`` one process knows exist; makes the missing ones."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self._known: set[tuple[str, Month]] | None = None  # None: not read yet (or not partitioned)
        self._partitioned: bool | None = None
        self._lock = threading.Lock()

    def partitioned(self) -> bool:
        if self._partitioned is None:
            if not self.postgres:
                self._partitioned = False
            else:
                with self.engine.connect() as conn:
                    self._partitioned = is_partitioned(conn)
        return self._partitioned

    def ensure(self, pairs: Iterable[tuple[str, Month]]) -> int:
        """Make sure each (site, month) has its partition; the number made. Known pairs cost
        nothing, so the ingest store calls this before every batch."""
        wanted = set(pairs)
        if not wanted or not self.partitioned():
            return 0
        with self._lock:
            if self._known is None:
                with self.engine.connect() as conn:
                    self._known = existing(conn)
            missing = sorted(wanted - self._known)
            made = 0
            for site, month in missing:
                made += self._create(site, month)
                self._known.add((site, month))
            return made

    def _create(self, site: str, month: Month) -> int:
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    conn.execute(text("SET LOCAL lock_timeout = '10s'"))
                    made = create(conn, site, month)
                if made:
                    log.info("events: partition of %s for %s made", site, f"{month:%Y-%m}")
                return int(made)
            except sqlalchemy.exc.DBAPIError:
                # another worker made it at the same moment (or held the lock too long): look again
                if attempt == 2:
                    raise
                with self.engine.connect() as conn:
                    if (site, month) in existing_for(conn, site):
                        return 0
        return 0

    def ahead(self, now: datetime) -> int:
        """The current and next month of every known property; the number of partitions made."""
        if not self.partitioned():
            return 0
        with self.engine.connect() as conn:
            sites = known_sites(conn)
        with self._lock:
            self._known = None  # read again: another process may have made or detached some
        return self.ensure((site, month) for site in sites for month in months_ahead(now))

    def detach_before(self, month: Month, *, now: datetime) -> list[Detached]:
        """Detach every partition of a month before ``month`` (retention): each becomes a table of
        its own, out of every query, to archive (pg_dump) and drop, renamed ``<name>_old`` (or
        ``_old2``, ...) so that an event of that month arriving later gets a fresh partition
        instead of the archive back. The current month is never detached."""
        if not self.partitioned():
            return []
        if month > month_of(now):
            raise ValueError(f"{month:%Y-%m} is after the current month: its events are still live")
        detached: list[Detached] = []
        with self.engine.connect() as conn:
            old = sorted(pair for pair in existing(conn) if pair[1] < month)
        for site, old_month in old:
            leaf = month_table(site, old_month)
            with self.engine.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '10s'"))
                conn.execute(text(f'ALTER TABLE "{site_table(site)}" DETACH PARTITION "{leaf}"'))
                archive, n = f"{leaf}_old", 1
                while conn.execute(text("SELECT to_regclass(:name)"), {"name": f'"{archive}"'}).scalar():
                    n += 1
                    archive = f"{leaf}_old{n}"
                conn.execute(text(f'ALTER TABLE "{leaf}" RENAME TO "{archive}"'))
            detached.append(Detached(archive, site, old_month))
        with self._lock:
            self._known = None
        return detached
