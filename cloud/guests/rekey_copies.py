"""Re-encrypt every sealed copy of guest data (reservations, folios, invoices, messages, ...).

Walks each table with sealed columns (found in the metadata, see :mod:`cloud.guests.sealed`) by
primary key in short batches, each its own transaction, while the app keeps serving: a row is
rewritten only if one of its fields is under another key (or the blind indexes are being
rebuilt), and only if nobody changed it since it was read (a row the app rewrote meanwhile is
already under the active key). Interrupted, it resumes where it stopped: rows already done are
skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, MetaData, Table, Text, select, text, tuple_, type_coerce, update
from sqlalchemy.engine import Connection, Engine

from cloud.guests.sealed import BlindKey, NameWords, SealedJson, SealedText, attach
from cloud.guests.vault import Vault

log = logging.getLogger(__name__)
BATCH = 200
IMMUTABLE = frozenset({"billing_invoices"})  # rows a trigger guards: unlocked inside each batch only


@dataclass(frozen=True)
class SealedTable:
    table: Table
    sealed: list[Column[Any]]
    indexes: list[Column[Any]]


def sealed_tables(metadata: MetaData) -> list[SealedTable]:
    found = []
    for table in metadata.sorted_tables:
        sealed = [c for c in table.columns if isinstance(c.type, SealedText | SealedJson)]
        if sealed:
            indexes = [c for c in table.columns if isinstance(c.type, NameWords | BlindKey)]
            found.append(SealedTable(table=table, sealed=sealed, indexes=indexes))
    return found


def reencrypt_copies(
    engine: Engine, vault: Vault, metadata: MetaData, *, reindex: bool = False
) -> dict[str, int]:
    """Rows rewritten per table (the engine writes with ``vault`` from here on)."""
    attach(engine, vault)
    done: dict[str, int] = {}
    for spec in sealed_tables(metadata):
        done[spec.table.name] = _walk(engine, vault, spec, reindex=reindex)
        log.info(
            "%s: %d rows re-encrypted under key %s",
            spec.table.name,
            done[spec.table.name],
            vault.cipher.active,
        )
    return done


def _walk(engine: Engine, vault: Vault, spec: SealedTable, *, reindex: bool) -> int:
    """By primary key, a composite one too (``notify_contacts``: channel and address's blind key),
    read as stored (a blind key is compared as its hash, not hashed again)."""
    keys = [type_coerce(c, c.type.impl) if isinstance(c.type, BlindKey) else c
            for c in spec.table.primary_key.columns]
    width = len(keys)
    query = select(*keys, *(type_coerce(c, Text) for c in spec.sealed)).order_by(*keys).limit(BATCH)
    count, after = 0, None
    moved: set[tuple[Any, ...]] = set()
    while True:
        with engine.begin() as conn:
            page = query if after is None else query.where(tuple_(*keys) > tuple_(*after))
            batch = list(conn.execute(page))
            stale = [row for row in batch if reindex or _stale(vault, row[width:])]
            if stale:
                count += _rewrite(conn, spec, keys, stale, moved)
        if len(batch) < BATCH:
            return count
        after = tuple(batch[-1][:width])


def _open(column: Column[Any], token: str | None, conn: Connection) -> Any:
    kind = column.type
    assert isinstance(kind, SealedText | SealedJson)
    return kind.process_result_value(token, conn.dialect)


def _stale(vault: Vault, tokens: tuple[Any, ...]) -> bool:
    return any(t is not None and vault.cipher.key_id(t) != vault.cipher.active for t in tokens)


def _rewrite(conn: Connection, spec: SealedTable, keys: list[Any], rows: list[Any],
             moved: set[tuple[Any, ...]]) -> int:
    """Each row opened with whichever key sealed it and written back through the column types (the
    active key, fresh blind indexes), unless it changed since it was read. A primary key that is a
    blind key moves with a new index key: ``moved`` holds the keys rows moved to in this run, so
    the walk, meeting such a row again further on, leaves it."""
    restore = _unguard(conn, spec.table.name) if spec.table.name in IMMUTABLE else []
    written = 0
    width = len(keys)
    for row in rows:
        if tuple(row[:width]) in moved:
            continue
        old = dict(zip((c.name for c in spec.sealed), row[width:], strict=True))
        plain = {c.name: _open(c, old[c.name], conn) for c in spec.sealed}
        values = {**plain, **{c.name: plain[_source(c)] for c in spec.indexes}}
        unchanged = [
            type_coerce(c, Text).is_(None) if old[c.name] is None else type_coerce(c, Text) == old[c.name]
            for c in spec.sealed
        ]
        same_row = [key == value for key, value in zip(keys, row[:width], strict=True)]
        written += conn.execute(update(spec.table).where(*same_row, *unchanged).values(values)).rowcount
        if any(isinstance(c.type, BlindKey) for c in spec.table.primary_key.columns):
            moved.add(tuple(_stored(c, values.get(c.name, old_key), conn)
                            for c, old_key in zip(spec.table.primary_key.columns, row[:width], strict=True)))
    for statement in restore:
        conn.exec_driver_sql(statement)
    return written


def _stored(column: Column[Any], value: Any, conn: Connection) -> Any:
    """A key column's value as the database holds it (a blind key: its hash)."""
    if isinstance(column.type, BlindKey) and value is not None:
        return column.type.process_bind_param(value, conn.dialect)
    return value


def _source(index: Column[Any]) -> str:
    kind = index.type
    assert isinstance(kind, NameWords | BlindKey)
    return kind.source


def _unguard(conn: Connection, table: str) -> list[str]:
    """Lift the immutability triggers of ``table`` inside this transaction; the statements that
    put them back (run before it commits, so no other transaction ever sees them lifted)."""
    if conn.dialect.name == "postgresql":
        names = (
            conn.execute(
                text(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) "
                    "AND NOT tgisinternal AND tgenabled <> 'D'"
                ),
                {"t": table},
            )
            .scalars()
            .all()
        )
        for name in names:
            conn.exec_driver_sql(f'ALTER TABLE {table} DISABLE TRIGGER "{name}"')
        return [f'ALTER TABLE {table} ENABLE TRIGGER "{name}"' for name in names]
    found = conn.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t "
            "AND sql LIKE '%BEFORE UPDATE ON%'"
        ),
        {"t": table},
    ).all()
    for name, _sql in found:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    return [sql for _name, sql in found]
