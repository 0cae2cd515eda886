"""``posada events partitions`` through the command line: partitions made ahead, old months
detached, a malformed month refused; a plain table on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, text

from cloud.board import partitions
from cloud.board.models import Gateway
from cloud.core.db import make_engine
from cloud.ingest.batch import Batch
from cloud.ingest.store import IngestStore
from posada.cli import main

pytestmark = pytest.mark.service


def _event(ts: datetime) -> dict[str, object]:
    return {"id": f"E-{ts:%Y%m}", "site": "hotel", "floor": "f1", "room": "101", "type": "door.opened",
            "ts": ts, "source": "gw.hotel.f1", "seq": 1, "credential_id": None, "data": {},
            "received_at": ts, "dead_letter": None}


def test_partitions_ahead_and_detached_for_retention(pg_url: str, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(insert(Gateway.__table__).values(site="annex", floor="f2"))
    IngestStore(engine).write(Batch(received_at=datetime.now(UTC),
                                    events=[_event(datetime(2025, 2, 3, tzinfo=UTC))]))
    monkeypatch.setenv("POSADA_DATABASE_URL", pg_url)
    assert main(["events", "partitions", "--detach-before", "2025-13"]) == 2
    assert "not a month" in capsys.readouterr().err
    assert main(["events", "partitions", "--detach-before", "2025-03"]) == 0
    out = capsys.readouterr().out
    assert "4 partitions made ahead" in out  # this and next month of annex (a gateway) and hotel (events)
    archive = partitions.month_table("hotel", datetime(2025, 2, 1).date()) + "_old"
    assert f"detached {archive} (hotel, 2025-02)" in out
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM events")).scalar_one() == 0
        this, after = partitions.months_ahead(datetime.now(UTC))
        assert {("annex", this), ("annex", after)} <= partitions.existing(conn)
    engine.dispose()


def test_on_sqlite_there_is_nothing_to_do(sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("POSADA_DATABASE_URL", sqlite_url)
    assert main(["events", "partitions"]) == 0
    assert "plain table" in capsys.readouterr().out
