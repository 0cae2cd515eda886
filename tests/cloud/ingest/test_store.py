"""The ingest store: events exactly once by id, whether a batch is all new (COPY straight into
``events`` on PostgreSQL) or repeats ids stored earlier (the staging path)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from cloud.board.models import EventRecord
from cloud.core.db import make_engine
from cloud.ingest.batch import Batch
from cloud.ingest.store import IngestStore

pytestmark = pytest.mark.service
AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _row(n: int) -> dict[str, object]:
    return {
        "id": f"E{n:05d}",
        "site": "hotel",
        "floor": "f1",
        "room": "101",
        "type": "door.opened",
        "ts": AT,
        "source": "gw.hotel.f1",
        "seq": n,
        "credential_id": None,
        "data": {"room": "101"},
        "received_at": AT,
        "dead_letter": None,
    }


def test_a_redelivered_id_is_stored_once_and_only_new_events_are_reported(db_url: str) -> None:
    engine = make_engine(db_url)
    EventRecord.__table__.create(engine, checkfirst=True)  # the only table a batch touches
    store = IngestStore(engine)
    first = store.write(Batch(received_at=AT, events=[_row(n) for n in range(1, 4)]))
    again = store.write(Batch(received_at=AT, events=[_row(n) for n in range(2, 6)]))
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(EventRecord)).scalar_one()
    engine.dispose()
    assert [e["id"] for e in first.new_events] == ["E00001", "E00002", "E00003"]
    assert sorted(e["id"] for e in again.new_events) == ["E00004", "E00005"]
    assert stored == 5
