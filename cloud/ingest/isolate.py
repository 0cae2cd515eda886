"""When the database refuses a batch: find the event it cannot store, keep it as a dead letter.

A refusal (a data or constraint error, SQLSTATE class 22 or 23) is about some row, not about the
database being away: retrying the same batch would fail forever and hold every event behind it.
So the batch is written again in halves until the refused event is alone; that event is stored
as dead-lettered with the database's reason (and confirmed to its gateway like any other), and
everything else is stored. A single refused event among n costs about 2·log2(n) transactions.
Any other error is raised to the caller, which retries the whole batch (what was committed
meanwhile is kept, exactly once by id).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import exc as sa_exc

from cloud.ingest.batch import Batch, Rejected
from cloud.ingest.store import WriteResult

Write = Callable[[Batch], WriteResult]
REFUSAL_CLASSES = ("22", "23")  # data exception, integrity constraint violation


def refused(error: BaseException) -> bool:
    """Whether the database refused the data (as opposed to being unreachable or failing); a
    string the driver cannot encode (a lone surrogate from a JSON escape) is refused data too."""
    if isinstance(error, sa_exc.DataError | sa_exc.IntegrityError | UnicodeError):
        return True
    if isinstance(error, sa_exc.StatementError) and isinstance(error.orig, UnicodeError):
        return True
    state = getattr(error, "sqlstate", None) or getattr(getattr(error, "orig", None), "sqlstate", None)
    return isinstance(state, str) and state[:2] in REFUSAL_CLASSES


def write_isolating(write: Write, batch: Batch, error: BaseException) -> tuple[WriteResult, int]:
    """Write ``batch``, which ``write`` refused with ``error``, in parts; returns the merged
    result and how many events were dead-lettered."""
    events = replace(batch, statuses=[], states=[], acks=[], telemetry=[], rejected=[])
    rest = replace(batch, events=[])
    if batch.events and _has_more_than_events(batch):
        first, dead_a = _write_or_split(write, rest)
        second, dead_b = _write_or_split(write, events)
        return _merge(first, second), dead_a + dead_b
    if not batch.events:  # a snapshot or an ack the database refuses: count it, keep the rest going
        note = Rejected("other", "store", _reason(error))
        return write(replace(batch, statuses=[], states=[], acks=[], rejected=[*batch.rejected, note])), 0
    if len(batch.events) == 1:
        return write(replace(batch, events=[dead_letter(batch.events[0], error)])), 1
    half = len(batch.events) // 2
    first, dead_a = _write_or_split(write, replace(events, events=batch.events[:half]))
    second, dead_b = _write_or_split(write, replace(events, events=batch.events[half:]))
    return _merge(first, second), dead_a + dead_b


def _write_or_split(write: Write, batch: Batch) -> tuple[WriteResult, int]:
    try:
        return write(batch), 0
    except Exception as error:
        if not refused(error):
            raise
        return write_isolating(write, batch, error)


def dead_letter(row: dict[str, Any], error: BaseException) -> dict[str, Any]:
    """The event as a dead letter: its identity kept, its data dropped, the reason recorded."""
    earlier = f"{_clean(row['dead_letter'])}; " if row.get("dead_letter") else ""
    return {**{k: _clean(v) for k, v in row.items()}, "data": {},
            "dead_letter": f"{earlier}the database refused it: {_reason(error)}"[:500]}


def _reason(error: BaseException) -> str:
    orig = getattr(error, "orig", None) or error
    text = str(orig).splitlines()[0] if str(orig) else type(orig).__name__
    return str(_clean(text))[:400]


def _clean(value: Any) -> Any:
    """Strings that any database takes: valid UTF-8, without NUL (PostgreSQL's text refuses it)."""
    if not isinstance(value, str):
        return value
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


def _has_more_than_events(batch: Batch) -> bool:
    return bool(batch.statuses or batch.states or batch.acks or batch.rejected)


def _merge(a: WriteResult, b: WriteResult) -> WriteResult:
    return WriteResult(new_events=[*a.new_events, *b.new_events],
                       changed_rooms=a.changed_rooms | b.changed_rooms,
                       changed_gateways=a.changed_gateways | b.changed_gateways)
