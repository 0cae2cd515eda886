from datetime import UTC, datetime, timedelta

import sqlite_utils

from edge.telemetry.backlog import TelemetryBacklog

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make(tmp_path, **kw):
    return TelemetryBacklog(sqlite_utils.Database(tmp_path / "gw.db"), **kw)


def test_readings_in_one_bucket_are_downsampled_to_one_row_latest_wins(tmp_path):
    backlog = make(tmp_path, bucket_s=60)
    backlog.keep("101", T0, {"temperature_c": 20.0, "door_open": False})
    backlog.keep("101", T0 + timedelta(seconds=30), {"temperature_c": 21.0})
    rows = backlog.oldest(10)
    assert len(rows) == 1
    assert rows[0].readings == {"temperature_c": 21.0, "door_open": False}
    assert rows[0].at == T0 + timedelta(seconds=30)


def test_late_reading_does_not_override_newer_one_in_its_bucket(tmp_path):
    backlog = make(tmp_path, bucket_s=60)
    backlog.keep("101", T0 + timedelta(seconds=30), {"temperature_c": 21.0})
    backlog.keep("101", T0, {"temperature_c": 20.0, "humidity_pct": 40.0})
    row = backlog.oldest(1)[0]
    assert row.readings == {"temperature_c": 21.0, "humidity_pct": 40.0}


def test_backlog_is_bounded_and_drops_oldest_buckets_first(tmp_path):
    backlog = make(tmp_path, bucket_s=1, max_rows=3)
    for i in range(5):
        backlog.keep("101", T0 + timedelta(seconds=i), {"temperature_c": float(i)})
    assert backlog.depth() == 3
    assert backlog.dropped == 2
    assert [r.readings["temperature_c"] for r in backlog.oldest(10)] == [2.0, 3.0, 4.0]


def test_backlog_survives_reopening_and_forget_removes_rows(tmp_path):
    make(tmp_path).keep("101", T0, {"occupied": True})
    backlog = make(tmp_path)
    rows = backlog.oldest(10)
    assert rows[0].readings == {"occupied": True}
    backlog.forget([rows[0].id])
    assert backlog.depth() == 0


def test_backlog_table_is_separate_from_other_tables(tmp_path):
    db = sqlite_utils.Database(tmp_path / "gw.db")
    db["outbox"].insert({"id": "e1"})
    TelemetryBacklog(db).keep("101", T0, {"occupied": True})
    assert db["outbox"].count == 1
    assert set(db.table_names()) == {"outbox", "telemetry_backlog"}
