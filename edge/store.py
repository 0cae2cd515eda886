"""The gateway's local SQLite store: room snapshots, the event outbox, processed commands, meta.

WAL, committed without a sync of its own (``synchronous=NORMAL``) and made durable by a group
commit (``edge.group_commit``): a transaction returns only after an fsync of the write-ahead log
that began after its commit, and one fsync serves every writer that committed meanwhile. So an
event that ``append_event`` returned survives a power cut, and the floor's threads share fsyncs
instead of queueing for one each. The fsync runs outside the store's lock, so other threads go on
writing while it lasts. One writing connection shared by the gateway's threads, serialised by a
lock.

A door decision never waits for that lock (a relay or a confirmation may hold it for tens of
milliseconds while the floor drains a backlog): it reads a snapshot of committed state on a
connection of its own (``reading``, a WAL reader), and what it must write (a newer card's first
use, the trusted time) goes through ``write_soon``: written at once when the lock is free, else by
the next transaction of whichever thread holds it, before that transaction commits. A write so
handed off is committed before anything recorded after it, so the WAL's order makes it durable
with the next durable commit.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, overload

import sqlite_utils

from edge.disk_reserve import DiskReserve
from edge.group_commit import GroupCommit
from edge.outbox import OutboxEntry, OutboxRow
from mqtt.envelope import new_id, rfc3339

log = logging.getLogger(__name__)
CONFIRM_CHUNK = 100  # ids deleted per transaction when the cloud confirms a batch

SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (
    room TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    room TEXT,
    payload TEXT NOT NULL,
    created TEXT NOT NULL,
    last_sent REAL
);
CREATE INDEX IF NOT EXISTS outbox_last_sent ON outbox (last_sent);
CREATE TABLE IF NOT EXISTS processed_commands (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    ok INTEGER NOT NULL,
    error TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class Store:
    """Durable state of one gateway."""

    def __init__(self, path: Path, *, reserve_bytes: int = 0) -> None:
        """``reserve_bytes``: disk space set aside for the moment the disk fills (``DiskReserve``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.reserve = DiskReserve(path.parent / f"{path.name}.reserve", size=reserve_bytes)
        conn = sqlite3.connect(str(path), check_same_thread=False)
        self._path = path
        self._db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()
        self._readers: list[sqlite3.Connection] = []  # idle reading connections (list ops are atomic)
        self._pending: list[Callable[[], None]] = []  # writes handed off by write_soon
        self._pending_lock = threading.Lock()  # a leaf: nothing is acquired while it is held
        self._closed = False
        self._relaxed = 0  # depth of relaxed() blocks of the thread holding the lock
        self._wal = f"{path}-wal"
        self.group = GroupCommit(self._fsync_wal)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # commits write the WAL; group commit syncs it
        self._db.executescript(SCHEMA)
        self.group.sync_all()

    @property
    def database(self) -> sqlite_utils.Database:
        """The shared database, for adapters with tables of their own (use under ``transaction``)."""
        return self._db

    def close(self) -> None:
        """Write what was handed off, then close every connection."""
        with self._lock:
            if self._pending and not self._closed:
                with self.transaction():
                    pass  # the outermost transaction writes the pending writes
            self._closed = True
            self._db.close()
        while self._readers:
            self._readers.pop().close()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A snapshot of committed state on a connection of this block's own, without the
        store's lock: what a door decision reads, never waiting for a writer. Read only."""
        try:
            conn = self._readers.pop()
        except IndexError:
            conn = self._open_reader()
        try:
            conn.execute("BEGIN")  # the snapshot is taken at the first read and held to the end
            try:
                yield conn
            finally:
                conn.execute("ROLLBACK")
        except BaseException:
            conn.close()  # never hand a connection in an unknown state to the next reader
            raise
        if self._closed:
            conn.close()
        else:
            self._readers.append(conn)

    def _open_reader(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self._path), check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA query_only = ON")
        return conn

    def write_soon(self, write: Callable[[], None]) -> None:
        """Run ``write`` (statements on ``database``) without waiting for the store's lock: now,
        in a relaxed transaction of its own, when the lock is free (or held by this thread); else
        the thread holding it runs it inside its transaction, before that commits. Never blocks."""
        with self._pending_lock:
            self._pending.append(write)
        if not self._lock.acquire(blocking=False):
            return  # its holder writes it before it lets go (``transaction``)
        try:
            if not self._closed:
                with self.relaxed(), self.transaction():
                    pass
        except sqlite3.Error:  # the disk is full, say: the write waits for the next transaction
            log.exception("a handed-off write could not be committed yet")
        finally:
            self._lock.release()

    def _write_pending(self) -> list[Callable[[], None]]:
        """Run the handed-off writes, each in a savepoint (one that fails waits for the next
        transaction and spares this one); returns those written, to hand back on a rollback."""
        with self._pending_lock:
            taken, self._pending = self._pending, []
        for done, write in enumerate(taken):
            try:
                with self._db.atomic():
                    write()
            except Exception:  # whatever it was, the transaction carrying it goes on
                log.exception("a handed-off write failed; it waits for the next transaction")
                self._hand_back(taken[done:])
                return taken[:done]
        return taken

    def _hand_back(self, writes: list[Callable[[], None]]) -> None:
        with self._pending_lock:
            self._pending[:0] = writes

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's lock without a transaction (a consistent read of shared state)."""
        with self._lock:
            yield

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes atomically (nested use joins the outer transaction); the outermost one
        returns only once its commit is durable (unless inside ``relaxed``)."""
        with self._lock:
            outermost = not self._db.conn.in_transaction
            written: list[Callable[[], None]] = []
            try:
                with self._db.atomic():
                    yield
                    if outermost and self._pending:
                        written = self._write_pending()
            except BaseException:
                self._hand_back(written)  # rolled back with this transaction: written next time
                raise
            if not outermost:
                return
            ticket = self.group.committed()
            durable = self._relaxed == 0
        if durable:
            self.group.wait(ticket)

    def _fsync_wal(self) -> None:
        """Flush the write-ahead log to the disk: every commit written to it so far is durable."""
        try:
            fd = os.open(self._wal, os.O_RDONLY)
        except FileNotFoundError:  # no WAL: everything was checkpointed (and synced) into the file
            return
        try:
            os.fdatasync(fd)  # what SQLite itself calls for a synchronous=FULL commit on Linux
        finally:
            os.close(fd)

    # --- outbox ---------------------------------------------------------------------------

    def append_event(self, *, type: str, data: dict[str, Any], room: str | None,
                     created: datetime, id: str | None = None) -> OutboxEntry:
        """Write an event to the outbox; its seq is assigned here."""
        event_id = id or new_id()
        data_json = json.dumps(data, separators=(",", ":"))
        with self.transaction():
            cursor = self._db.execute(
                "INSERT INTO outbox (id, type, room, payload, created) VALUES (?, ?, ?, ?, ?)",
                [event_id, type, room, data_json, rfc3339(created)],
            )
            seq = int(cursor.lastrowid or 0)
        return OutboxEntry(seq=seq, id=event_id, type=type, room=room, data=data, created=created,
                           data_json=data_json)

    @overload
    def after(self, seq: int, *, limit: int, with_data: Literal[True] = ...) -> list[OutboxEntry]: ...
    @overload
    def after(self, seq: int, *, limit: int, with_data: Literal[False]) -> list[OutboxRow]: ...
    @overload
    def after(self, seq: int, *, limit: int,
              with_data: bool = ...) -> list[OutboxEntry] | list[OutboxRow]: ...

    def after(self, seq: int, *, limit: int, with_data: bool = True) -> list[OutboxEntry] | list[OutboxRow]:
        """Unconfirmed events with a sequence above ``seq``, in order (``with_data=False``: the
        rows as stored, ``OutboxRow``s, as the relay sends them)."""
        where, params = "WHERE seq > ? ORDER BY seq LIMIT ?", [seq, limit]
        return self._entries(where, params) if with_data else self._rows(where, params)

    @overload
    def stale(self, *, sent_before: float, up_to_seq: int, limit: int,
              with_data: Literal[True] = ...) -> list[OutboxEntry]: ...
    @overload
    def stale(self, *, sent_before: float, up_to_seq: int, limit: int,
              with_data: Literal[False]) -> list[OutboxRow]: ...
    @overload
    def stale(self, *, sent_before: float, up_to_seq: int, limit: int,
              with_data: bool = ...) -> list[OutboxEntry] | list[OutboxRow]: ...

    def stale(self, *, sent_before: float, up_to_seq: int, limit: int,
              with_data: bool = True) -> list[OutboxEntry] | list[OutboxRow]:
        """Events sent before ``sent_before`` (epoch seconds) and still unconfirmed, in order."""
        where = "WHERE last_sent IS NOT NULL AND last_sent < ? AND seq <= ? ORDER BY seq LIMIT ?"
        params: list[Any] = [sent_before, up_to_seq, limit]
        return self._entries(where, params) if with_data else self._rows(where, params)

    def mark_sent(self, seqs: Iterable[int], *, at: float) -> None:
        with self.relaxed(), self.transaction():
            self._db.conn.executemany("UPDATE outbox SET last_sent = ? WHERE seq BETWEEN ? AND ?",
                                      [(at, first, last) for first, last in _runs(seqs)])

    @contextmanager
    def relaxed(self) -> Iterator[None]:
        """Writes that may be lost on a power cut without harm (a lost deletion means a resend,
        which the cloud ignores by id): they do not wait for a sync; the next durable commit's
        sync covers them (the WAL is written in order)."""
        with self._lock:
            self._relaxed += 1
            try:
                yield
            finally:
                self._relaxed -= 1

    def confirm(self, *, ids: Iterable[str] = (), up_to_seq: int | None = None) -> int:
        """Forget events the cloud has stored (by id, or every sent one up to a seq); returns how many."""
        removed = 0
        if up_to_seq is not None:
            with self.relaxed(), self.transaction():
                # never published: the cloud cannot have stored it (a watermark from before a wiped store)
                removed += self._db.execute("DELETE FROM outbox WHERE seq <= ? AND last_sent IS NOT NULL",
                                            [up_to_seq]).rowcount
        id_list = list(ids)
        for start in range(0, len(id_list), CONFIRM_CHUNK):  # the lock is free between chunks: taps go first
            chunk = id_list[start:start + CONFIRM_CHUNK]
            marks = ",".join("?" * len(chunk))
            with self.relaxed(), self.transaction():
                removed += self._db.execute(f"DELETE FROM outbox WHERE id IN ({marks})", chunk).rowcount
        return removed

    def pending_count(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM outbox").fetchone()
        return int(row[0])

    def last_seq(self) -> int:
        """The highest sequence ever assigned (confirmed events included)."""
        with self._lock:
            row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
        return int(row[0]) if row else 0

    def _entries(self, where: str, params: list[Any]) -> list[OutboxEntry]:
        sql = f"SELECT seq, id, type, room, payload, created FROM outbox {where}"
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [
            OutboxEntry(seq=r[0], id=r[1], type=r[2], room=r[3], data=json.loads(r[4]),
                        created=datetime.fromisoformat(r[5]), data_json=r[4], created_text=r[5])
            for r in rows
        ]

    def _rows(self, where: str, params: list[Any]) -> list[OutboxRow]:
        """The rows as stored, each tuple made an ``OutboxRow`` as it is (the relay's hot path)."""
        sql = f"SELECT seq, id, type, payload, created FROM outbox {where}"
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return list(map(OutboxRow._make, rows))

    # --- rooms ----------------------------------------------------------------------------

    def save_room(self, room: str, state: dict[str, Any], *, at: datetime) -> None:
        with self.transaction():
            self._db["rooms"].upsert(  # type: ignore[union-attr]
                {"room": room, "state": json.dumps(state), "updated": rfc3339(at)}, pk="room"
            )

    def rooms(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT room, state FROM rooms").fetchall()
        return {room: json.loads(state) for room, state in rows}

    # --- commands -------------------------------------------------------------------------

    def command_outcome(self, command_id: str) -> tuple[bool, str] | None:
        """The result of a command already applied, or None when it is new."""
        with self._lock:
            row = self._db.execute("SELECT ok, error FROM processed_commands WHERE id = ?",
                                   [command_id]).fetchone()
        return (bool(row[0]), str(row[1])) if row else None

    def remember_command(self, command_id: str, *, type: str, ok: bool, error: str, at: datetime) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO processed_commands (id, type, ok, error, at) VALUES (?, ?, ?, ?, ?)",
                [command_id, type, int(ok), error, rfc3339(at)],
            )

    def prune_commands(self, *, before: datetime) -> int:
        with self.transaction():
            return self._db.execute("DELETE FROM processed_commands WHERE at < ?", [rfc3339(before)]).rowcount

    # --- meta -----------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])

    # --- for adapters that keep their own tables in this file -----------------------------

    def execute_script(self, sql: str) -> None:
        with self._lock:
            self._db.executescript(sql)

    def run(self, sql: str, params: list[Any]) -> int:
        """One write statement inside a transaction; returns the affected row count."""
        with self.transaction():
            return int(self._db.execute(sql, params).rowcount)

    def fetch_one(self, sql: str, params: list[Any]) -> tuple[Any, ...] | None:
        with self._lock:
            row = self._db.execute(sql, params).fetchone()
        return tuple(row) if row is not None else None


def _runs(seqs: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive sequences as (first, last) ranges: one UPDATE per run instead of per event."""
    runs: list[tuple[int, int]] = []
    for seq in sorted(seqs):
        if runs and seq == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], seq)
        else:
            runs.append((seq, seq))
    return runs


class StoredTrustedTime:
    """The last trusted time, in the store's meta table (the trusted clock's persistence port)."""

    KEY = "trusted_time"

    def __init__(self, store: Store) -> None:
        self._store = store

    def load(self) -> datetime | None:
        value = self._store.meta(self.KEY)
        return datetime.fromisoformat(value) if value else None

    def save(self, at: datetime) -> None:
        # Read on a tap's way (under the trusted clock's lock), so it never waits for the store's
        # lock nor for an fsync: handed off, it is committed before anything recorded after it, so
        # a time lost on a power cut is one that no durably recorded event came after, and an
        # older floor is what is saved every minute anyway.
        value = at.isoformat()
        self._store.write_soon(lambda: self._store.set_meta(self.KEY, value))
