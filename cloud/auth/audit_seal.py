"""Sealing the audit trail: committed entries without a place in the chain get one, in batches.

One sealer at a time holds the chain's head (``audit_head``: a row lock on PostgreSQL, the write
lock of SQLite's ``BEGIN IMMEDIATE``), takes the unsealed entries in the order they were made,
gives each its seq, the previous hash and its own, and moves the head, in one transaction. A
second sealer waits for the first and then sees only what is left, so the chain never forks.
The database lets an entry be updated only this once, and only in these three columns.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.audit_chain import FIELDS, link_hash
from cloud.auth.models import AuditEntry, AuditHead

log = logging.getLogger(__name__)
BATCH = 2000


def seal(session: Session, *, batch: int = BATCH) -> int:
    """Chain up to ``batch`` unsealed entries in the caller's transaction; how many were."""
    head = session.scalars(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one()
    conn = session.connection()
    raw: Any = conn.connection.driver_connection if conn.dialect.name == "postgresql" else None
    if raw is not None:  # psycopg's own rows: the same values (aware instants, JSON as Python), less Python
        pending: list[dict[str, Any]] = [dict(zip(_KEYS, row, strict=True))
                                         for row in raw.execute(_PENDING_PG, (batch,)).fetchall()]
    else:  # plain rows (each column read through its type, as an entry's attribute would be)
        pending = [row._asdict() for row in session.execute(
            select(*_READ).where(_TABLE.c.seq.is_(None)).order_by(_TABLE.c.at, _TABLE.c.id).limit(batch))]
    seq, prev, rows = head.seq, head.hash, []
    for entry in pending:
        seq += 1
        entry["seq"] = seq
        chained = link_hash(prev, entry)
        rows.append((seq, prev, chained, entry["id"]))
        prev = chained
    if rows and raw is not None:
        with raw.cursor() as cur:  # one pipeline of updates
            cur.executemany(_SEAL_PG, rows)
    elif rows:
        conn.execute(
            update(_TABLE).where(_TABLE.c.id == bindparam("entry_id"))
            .values(seq=bindparam("new_seq"), prev_hash=bindparam("new_prev"), hash=bindparam("new_hash")),
            [dict(zip(("new_seq", "new_prev", "new_hash", "entry_id"), row, strict=True)) for row in rows])
    if rows:
        head.seq, head.hash = seq, prev
    return len(rows)


_TABLE = cast(Table, AuditEntry.__table__)
# what an entry's hash covers (``content_of``; the seq is the one given here), and its id
_READ = [_TABLE.c[name] for name in FIELDS if name != "seq"] + [_TABLE.c.id]
_KEYS = tuple(column.key for column in _READ)
_PENDING_PG = (f"SELECT {', '.join(column.name for column in _READ)} FROM {_TABLE.name} "
               "WHERE seq IS NULL ORDER BY at, id LIMIT %s")
_SEAL_PG = f"UPDATE {_TABLE.name} SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s"


def seal_all(sessions: sessionmaker[Session]) -> int:
    """Seal until nothing is left; how many entries were sealed."""
    total = 0
    while True:
        with sessions.begin() as session:
            done = seal(session)
        total += done
        if done < BATCH:
            return total


class AuditSealer:
    """A daemon thread sealing every ``period_s`` seconds (run by one worker of the cloud)."""

    def __init__(self, sessions: sessionmaker[Session], *, period_s: float = 1.0) -> None:
        self.sessions = sessions
        self.period_s = period_s
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="posada-audit-seal", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)
        self._once()  # what the last requests wrote

    def _run(self) -> None:
        while not self.stop_event.wait(self.period_s):
            self._once()

    def _once(self) -> None:
        try:
            seal_all(self.sessions)
        except Exception:  # the database may be gone for a moment: the next round seals it
            log.exception("audit: sealing failed; retrying on the next round")
