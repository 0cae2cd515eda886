"""New rows written as plain INSERTs in one round trip, for a request that only adds rows.

On PostgreSQL a request may open a queue on its session (``open_queue``). Code that would
``session.add`` a new mapped object then hands it to ``add`` instead: the object becomes
persistent at once (no flush, no reload) and its INSERT waits in the queue. The queue is sent
in one pipeline before the session's next flush, before its commit, or when a caller that
writes plain statements itself asks (``send``): the ORM's unit of work, which costs more of
the interpreter than the database spends on these rows, is skipped. SQLite opens no queue, so
every caller keeps its ORM path there (one writer at a time: the round trips cost little).

Only for rows nothing reads back before the queue is sent (a query that the session would have
autoflushed first does not send it): the booking's guest, its name tokens, its audit entries,
its folio and its idempotency row. Values are bound exactly as the ORM binds them (the
columns' own types: sealing, JSON, aware instants), and Python-side column defaults apply.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from sqlalchemy import Table, event, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.sql.schema import ColumnDefault

_QUEUE = "plain_inserts.queue"


class _Queue:
    def __init__(self, raw: Any, dialect: Dialect) -> None:
        self.raw, self.dialect = raw, dialect
        self.rows: list[tuple[int, str, dict[str, Any]]] = []


def open_queue(session: Session) -> bool:
    """Queue this transaction's plain inserts (PostgreSQL; False and nothing changes elsewhere)."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return False
    session.info[_QUEUE] = _Queue(conn.connection.driver_connection, conn.dialect)
    return True


def is_open(session: Session) -> bool:
    return _QUEUE in session.info


def driver_connection(session: Session) -> Any | None:
    """psycopg's own connection under the session, when a queue is open (plain reads on it see the
    queued rows only after ``send``)."""
    queue: _Queue | None = session.info.get(_QUEUE)
    return None if queue is None else queue.raw


def add(session: Session, obj: Any, *, keep: bool = True) -> bool:
    """Queue ``obj``'s INSERT (True), or False when no queue is open: the caller adds it to the
    session as before. ``keep``: the object joins the session as persistent (its key must be set)."""
    queue: _Queue | None = session.info.get(_QUEUE)
    if queue is None:
        return False
    table: Table = obj.__table__
    values = _values(obj)
    sql, binders = _statement(table, tuple(values), queue.dialect)
    for name, bind in binders.items():
        values[name] = bind(values[name])
    queue.rows.append((_rank(table), sql, values))
    if keep:
        make_transient_to_detached(obj)
        session.add(obj)  # persistent as written
    return True


def add_values(session: Session, mapped: type[Any], values: dict[str, Any]) -> bool:
    """Queue an INSERT of ``values`` (column key -> value; unnamed columns take their constant
    default, else NULL) into the table of the class ``mapped`` without building an object of it
    (True), or False when no queue is open: the caller then writes the row its own way. For rows
    nothing in the request reads back."""
    queue: _Queue | None = session.info.get(_QUEUE)
    if queue is None:
        return False
    table: Table = mapped.__table__
    defaults, named = _defaults(table)
    if not named <= values.keys():
        missing = sorted(named - values.keys())
        raise ValueError(f"{table.name}: name {missing} (their defaults are not constants)")
    values = {**defaults, **values}
    sql, binders = _statement(table, tuple(values), queue.dialect)
    for name, bind in binders.items():
        values[name] = bind(values[name])
    queue.rows.append((_rank(table), sql, values))
    return True


def send(session: Session) -> None:
    """Write what is queued now, in one statement; a unique violation is SQLAlchemy's
    IntegrityError (the caller's transaction is then failed, as after a flush that hit it)."""
    queue: _Queue | None = session.info.get(_QUEUE)
    if queue is None or not queue.rows:
        return
    sql, params = _take(queue)
    _run(queue.raw, sql, params)


def send_before(session: Session, raw: Any, sql: str, params: dict[str, Any]) -> list[Any]:
    """``sql`` (a ``WITH`` query whose own parameters end in no ``__`` suffix) on psycopg's
    connection ``raw``, with what is queued written by the same statement: its rows. The queued
    rows are written whatever the query does (data-modifying ``WITH`` clauses always run)."""
    queue: _Queue | None = session.info.get(_QUEUE)
    if queue is None or not queue.rows:
        return list(raw.execute(sql, params).fetchall())
    if not sql.lstrip().startswith("WITH "):
        raise ValueError("only a WITH query takes the queued rows in front")
    inserts, queued = _take(queue, alone=False)
    return _run(raw, inserts + ", " + sql.lstrip()[5:], {**params, **queued})


def _run(raw: Any, sql: str, params: dict[str, Any]) -> list[Any]:
    """``sql`` with its ``%(name)s`` parameters sent as ``$n`` ones: psycopg parses a query on
    every call when it is long or has many parameters (as these have); this one is parsed once."""
    from psycopg import IntegrityError as Refused  # only PostgreSQL opens a queue
    from psycopg import RawCursor

    text, names = _dollars(sql)
    try:
        with RawCursor(raw) as cur:
            cur.execute(text, [params[name] for name in names])
            return cur.fetchall() if cur.description is not None else []
    except Refused as exc:
        raise IntegrityError(sql, None, exc) from exc


@functools.lru_cache(maxsize=512)
def _dollars(sql: str) -> tuple[str, tuple[str, ...]]:
    """``sql`` with each ``%(name)s`` as ``$n`` (one number per name) and ``%%`` as ``%``; the
    names in their numbers' order."""
    names: dict[str, int] = {}

    def number(found: re.Match[str]) -> str:
        return f"${names.setdefault(found[1], len(names) + 1)}"

    return _PARAM.sub(number, sql).replace("%%", "%"), tuple(names)


def _take(queue: _Queue, *, alone: bool = True) -> tuple[str, dict[str, Any]]:
    """The queued rows as one statement (``alone``) or as the ``WITH`` clauses of another, and
    their parameters; the queue is emptied. Each table's rows in one multi-row INSERT, a table
    after those its foreign keys name (PostgreSQL checks them at the end of the statement)."""
    rows, queue.rows = queue.rows, []
    rows.sort(key=lambda row: row[0])  # a row after the rows it refers to (stable)
    statements = _folded(rows)
    texts = tuple(sql for sql, _params in statements)
    params: dict[str, Any] = {}
    for k, (_sql, values) in enumerate(statements):
        params.update({f"{name}__s{k}": value for name, value in values.items()})
    return _chained(texts, alone), params


@functools.lru_cache(maxsize=256)
def _chained(texts: tuple[str, ...], alone: bool) -> str:
    """INSERTs as one statement: ``WITH q0 AS (INSERT …), … INSERT …`` (``alone``), else every
    one of them a ``WITH`` clause; the k-th one's parameters named ``…__sk``."""
    renamed = [_suffixed(sql, f"__s{k}") for k, sql in enumerate(texts)]
    if alone and len(renamed) == 1:
        return renamed[0]
    clauses = [f"q{k} AS ({sql})" for k, sql in enumerate(renamed[:-1] if alone else renamed)]
    if alone:
        return "WITH " + ", ".join(clauses) + " " + renamed[-1]
    return "WITH " + ", ".join(clauses)


def _folded(rows: list[tuple[int, str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """Consecutive rows of one INSERT text as one statement with as many VALUES tuples."""
    statements: list[tuple[str, dict[str, Any]]] = []
    start = 0
    while start < len(rows):
        sql, end = rows[start][1], start + 1
        while end < len(rows) and rows[end][1] == sql:
            end += 1
        if end - start == 1:
            statements.append((sql, rows[start][2]))
        else:
            params: dict[str, Any] = {}
            for n, (_order, _text, values) in enumerate(rows[start:end]):
                params.update({f"{name}__{n}": value for name, value in values.items()})
            statements.append((_many(sql, end - start), params))
        start = end
    return statements


_PARAM = re.compile(r"%\((\w+)\)s")


@functools.lru_cache(maxsize=256)
def _many(sql: str, count: int) -> str:
    """``INSERT … VALUES (%(a)s, …)`` for ``count`` rows, the n-th row's parameters named ``a__n``."""
    head, sep, row = sql.partition(" VALUES ")
    if not sep or not row.startswith("(") or not row.endswith(")"):
        raise ValueError(f"not a single-row INSERT: {sql}")
    return head + sep + ", ".join(_suffixed(row, f"__{n}") for n in range(count))


def _suffixed(sql: str, suffix: str) -> str:
    """Every ``%(name)s`` parameter of ``sql`` renamed ``%(name<suffix>)s``."""
    return _PARAM.sub(lambda m: f"%({m[1]}{suffix})s", sql)


def close(session: Session) -> None:
    """Forget the queue (after the transaction ends, or when a path falls back to the ORM)."""
    session.info.pop(_QUEUE, None)


def _values(obj: Any) -> dict[str, Any]:
    """Column key -> value, from the object's attributes (a constant default where unset)."""
    state = obj.__dict__
    values: dict[str, Any] = {}
    for attr, column in _columns(obj.__mapper__):
        if attr in state:
            values[column.key] = state[attr]
        elif isinstance(column.default, ColumnDefault) and column.default.is_scalar:
            values[column.key] = column.default.arg
            setattr(obj, attr, column.default.arg)
        elif column.default is not None:
            raise ValueError(f"{column}: set it before queueing (its default is not a constant)")
        elif column.server_default is None and column is not column.table.autoincrement_column:
            values[column.key] = None
            setattr(obj, attr, None)  # known, so reading it later loads nothing
    return values


@functools.cache
def _defaults(table: Table) -> tuple[dict[str, Any], frozenset[str]]:
    """What ``_values`` fills in for a column left unset (its constant default, else NULL), and
    the columns that must be named (a default that is not a constant)."""
    found: dict[str, Any] = {}
    named = set()
    for column in table.columns:
        if isinstance(column.default, ColumnDefault) and column.default.is_scalar:
            found[column.key] = column.default.arg
        elif column.default is not None:
            named.add(column.key)
        elif column.server_default is None and column is not table.autoincrement_column:
            found[column.key] = None
    return found, frozenset(named)


@functools.cache
def _rank(table: Table) -> int:
    """The table's place in dependency order (a table after those its foreign keys name)."""
    return table.metadata.sorted_tables.index(table)


@functools.cache
def _columns(mapper: Any) -> tuple[tuple[str, Any], ...]:
    return tuple((prop.key, prop.columns[0]) for prop in mapper.column_attrs)


@functools.cache
def _statement(table: Table, names: tuple[str, ...], dialect: Dialect) -> tuple[str, dict[str, Any]]:
    """The INSERT's text as the dialect renders it (type casts included) and each value's binder."""
    compiled = insert(table).compile(dialect=dialect, column_keys=list(names))
    binders = {}
    for name in names:
        bind = table.columns[name].type._cached_bind_processor(dialect)
        if bind is not None:
            binders[name] = bind
    return compiled.string, binders


def _send_before(session: Session, *_args: Any) -> None:
    send(session)


def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the session's own transaction (a savepoint's end keeps the queue)
        close(session)


# Rows queued are written before anything the unit of work writes, and before every commit.
event.listen(Session, "before_flush", _send_before)
event.listen(Session, "before_commit", _send_before)
event.listen(Session, "after_transaction_end", _forget)
