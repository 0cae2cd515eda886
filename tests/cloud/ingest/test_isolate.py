"""Isolating a refused event: halves until it is alone; other failures are not refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import exc as sa_exc

from cloud.ingest.batch import Batch
from cloud.ingest.isolate import dead_letter, refused, write_isolating
from cloud.ingest.store import WriteResult

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 2, tzinfo=UTC)


def _row(n: int) -> dict[str, object]:
    return {"id": f"e{n}", "site": "hotel", "floor": "f1", "room": "101", "type": "tamper", "ts": NOW,
            "source": "gw.hotel.f1", "seq": n, "credential_id": None, "data": {"n": n}, "received_at": NOW,
            "dead_letter": None}


class FakeDatabase:
    """Refuses any batch holding a row whose data says ``poison``; counts transactions."""

    def __init__(self, *, fail_with: Exception | None = None) -> None:
        self.stored: dict[str, dict[str, object]] = {}
        self.transactions = 0
        self.fail_with = fail_with

    def write(self, batch: Batch) -> WriteResult:
        self.transactions += 1
        if self.fail_with is not None:
            raise self.fail_with
        if any(row["data"] == {"poison": True} for row in batch.events):
            raise sa_exc.DataError("INSERT", {}, Exception("unsupported Unicode escape sequence"))
        new = [row for row in batch.events if row["id"] not in self.stored]
        self.stored.update({row["id"]: row for row in new})
        return WriteResult(new_events=new)


def test_one_refused_event_among_many_is_dead_lettered_and_the_rest_stored() -> None:
    rows = [_row(n) for n in range(1024)]
    rows[700]["data"] = {"poison": True}
    db = FakeDatabase()
    batch = Batch(received_at=NOW, events=rows)
    with pytest.raises(sa_exc.DataError) as refusal:
        db.write(batch)
    result, dead = write_isolating(db.write, batch, refusal.value)
    assert dead == 1 and len(db.stored) == 1024 and len(result.new_events) == 1024
    assert db.stored["e700"]["data"] == {}
    assert "unsupported Unicode escape sequence" in str(db.stored["e700"]["dead_letter"])
    assert all(db.stored[f"e{n}"]["dead_letter"] is None for n in range(1024) if n != 700)
    assert db.transactions <= 2 * 10 + 2  # about 2·log2(n), not n


def test_a_database_that_is_away_is_not_a_refusal() -> None:
    away = sa_exc.OperationalError("COMMIT", {}, Exception("server closed the connection"))
    assert not refused(away)
    assert refused(sa_exc.IntegrityError("INSERT", {}, Exception("duplicate")))
    assert refused(UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"))
    db = FakeDatabase(fail_with=away)
    with pytest.raises(sa_exc.OperationalError):  # raised to the caller, which retries the batch
        write_isolating(db.write, Batch(received_at=NOW, events=[_row(1), _row(2)]),
                        sa_exc.DataError("INSERT", {}, Exception("bad")))


def test_a_dead_letter_keeps_its_identity_and_any_earlier_reason_and_drops_unstorable_text() -> None:
    row = {**_row(1), "source": "gw\x00.hotel", "room": "\ud800", "dead_letter": "data: room: bad"}
    dead = dead_letter(row, sa_exc.DataError("INSERT", {}, Exception("refused")))
    assert dead["id"] == "e1" and dead["data"] == {} and dead["source"] == "gw.hotel"
    assert str(dead["room"]).encode("utf-8")  # encodable now
    assert str(dead["dead_letter"]).startswith("data: room: bad; the database refused it: refused")
