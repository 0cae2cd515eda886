"""SQLite's event rows as the DBAPI's parameters, with the text SQLAlchemy's ORM writes for them.

``executemany`` through SQLAlchemy's compiled insert ran every row's values through its bind
processors (a dict per row, a datetime formatted per column, ``json.dumps`` per data). Here a
row is one tuple: the text is the same (a test compares rows stored both ways), made with fewer
steps. Only three columns have a processor on SQLite: ``ts`` and ``received_at`` (DATETIME) and
``data`` (JSON); the others are passed on as they are, as SQLAlchemy passes them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect

# SQLAlchemy's default storage format of SQLite's DATETIME: a datetime's own fields, its zone
# left out
DATETIME_FORMAT = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"


def datetime_text(at: datetime) -> str:
    """``DATETIME_FORMAT`` of a ``datetime``: ``isoformat`` writes the same fields the same way
    (the year padded to four digits) and puts the zone, if any, after the 26th character."""
    return at.isoformat(" ", "microseconds")[:26]


def _json_dumps() -> Callable[[Any], str]:
    """``json.dumps`` with its default arguments, less its per-call set-up: the C encoder that
    ``json.dumps`` builds for each call, built once. Its one difference, no check for circular
    references, never shows: the data was parsed from JSON text."""
    if c_make_encoder is None:  # a Python without the json accelerator
        return json.dumps
    encoder = json.JSONEncoder()
    encode = c_make_encoder(None, encoder.default, encode_basestring_ascii, None, encoder.key_separator,
                            encoder.item_separator, False, False, True)
    join = "".join

    def dumps(value: Any) -> str:
        return join(encode(value, 0))

    return dumps


class SqliteEventRows:
    """The insert ``executemany`` of ``events`` on one SQLite dialect, and its rows as tuples."""

    def __init__(self, table: Table, columns: list[str], dialect: Dialect) -> None:
        assert columns[5] == "ts" and columns[9] == "data" and columns[10] == "received_at"
        self.columns = columns
        compiled = sqlite.insert(table).on_conflict_do_nothing(index_elements=["id"]).compile(dialect=dialect)
        assert list(compiled.positiontup or ()) == columns, "the tuples' order is the statement's"
        self.statement = str(compiled)
        time_type = table.c.ts.type.dialect_impl(dialect)
        assert type(table.c.received_at.type.dialect_impl(dialect)) is type(time_type)
        assert time_type._storage_format == DATETIME_FORMAT  # type: ignore[attr-defined]
        time_text = time_type.bind_processor(dialect)
        json_text = table.c.data.type.dialect_impl(dialect).bind_processor(dialect)
        assert time_text is not None and json_text is not None
        self._time_text: Callable[[Any], Any] = time_text
        self._json_text: Callable[[Any], Any] = json_text
        serializer = dialect._json_serializer
        self._dumps = _json_dumps() if serializer in (None, json.dumps) else serializer

    def rows(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """A timestamp is formatted once for a run of rows holding the same object (a batch's
        ``received_at``; its dead letters' ``ts``)."""
        time_text, json_text, dumps = self._time_text, self._json_text, self._dumps
        out = []
        last_ts: Any = object()
        last_at: Any = object()
        ts_text = at_text = None
        for r in rows:
            ts = r["ts"]
            if ts is not last_ts:
                last_ts, ts_text = ts, datetime_text(ts) if type(ts) is datetime else time_text(ts)
            at = r["received_at"]
            if at is not last_at:
                last_at, at_text = at, datetime_text(at) if type(at) is datetime else time_text(at)
            data = r["data"]
            out.append((r["id"], r["site"], r["floor"], r["room"], r["type"], ts_text, r["source"], r["seq"],
                        r["credential_id"], dumps(data) if type(data) is dict else json_text(data), at_text,
                        r["dead_letter"]))
        return out
