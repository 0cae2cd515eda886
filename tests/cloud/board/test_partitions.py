"""The events table partitioned by property and month on PostgreSQL: the migration converts a
table with rows (and back), partitions are made ahead and on demand, an event delivered again
later is stored once, and old months are detached for retention. SQLite keeps a plain table."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.orm import Session

from cloud.board import partitions
from cloud.board.models import EventRecord, Gateway
from cloud.board.queries import credential_events, dead_letters, event_count, recent_events, room_events
from cloud.core import migrate
from cloud.core.db import make_engine
from cloud.ingest.batch import BAD_ITEM_TYPE, Batch
from cloud.ingest.store import IngestStore

pytestmark = pytest.mark.service
NOW = datetime.now(UTC)


def _row(n: int, *, ts: datetime, site: str = "hotel", type: str = "door.opened") -> dict[str, object]:
    return {
        "id": f"E{n:05d}", "site": site, "floor": "f1", "room": "101", "type": type, "ts": ts,
        "source": f"gw.{site}.f1", "seq": n, "credential_id": "card-1", "data": {"room": "101"},
        "received_at": ts, "dead_letter": None,
    }


def _count(engine: object, table: str = "events") -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())


def _leaves(engine: object) -> set[tuple[str, date]]:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return partitions.existing(conn)


def test_month_names_and_bounds() -> None:
    assert partitions.month_of(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == date(2026, 12, 1)
    # a local time just past midnight on the 1st is still the previous month in UTC
    assert partitions.month_of(datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))) \
        == date(2026, 12, 1)
    assert partitions.next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert partitions.next_month(date(9999, 12, 1)) is None
    assert partitions.parse_month("2026-02") == date(2026, 2, 1)
    for bad in ("2026-13", "26-01", "2026/01", ""):
        with pytest.raises(ValueError, match="not a month"):
            partitions.parse_month(bad)
    long_site = "hotel-" + "x" * 57
    name = partitions.month_table(long_site, date(2026, 12, 1))
    assert len(name) <= 63 and name.endswith("_202612")
    # sites that read alike once made identifiers stay apart
    assert partitions.site_table("a-b") != partitions.site_table("a_b")


def test_the_migration_partitions_a_table_with_rows_and_the_downgrade_folds_it_back(pg_url: str) -> None:
    engine = make_engine(pg_url)
    config = migrate.alembic_config(engine)
    command.downgrade(config, "events@-1")  # the plain table of 0001_board
    with engine.begin() as conn:
        assert not partitions.is_partitioned(conn)
        conn.execute(insert(Gateway.__table__).values(site="quiet", floor="f1"))
        months = [datetime(2025, 11, 15, tzinfo=UTC), datetime(2026, 1, 31, 23, 0, tzinfo=UTC), NOW]
        rows = [_row(n, ts=months[n % 3], site=("hotel", "annex")[n % 2]) for n in range(60)]
        conn.execute(insert(EventRecord.__table__), rows)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert partitions.is_partitioned(conn)
        pk = inspect(conn).get_pk_constraint("events")
    assert sorted(pk["constrained_columns"]) == ["id", "site", "ts"]
    assert _count(engine) == 60
    leaves = _leaves(engine)
    this, after = partitions.months_ahead(NOW)
    for site in ("hotel", "annex"):
        assert {(site, date(2025, 11, 1)), (site, date(2026, 1, 1)), (site, this)} <= leaves
    assert {("quiet", this), ("quiet", after)} <= leaves  # a known property, no events yet
    # each row sits in its property's month
    leaf = partitions.month_table("annex", date(2026, 1, 1))
    assert _count(engine, leaf) == len([r for r in rows if r["site"] == "annex"
                                        and r["ts"].month == 1])  # type: ignore[attr-defined]
    with Session(engine) as session:  # the board's reads over the partitions
        assert len(room_events(session, site="hotel", floor="f1", room="101")) == 30
        assert len(credential_events(session, credential_id="card-1", sites=["annex"])) == 30
        assert event_count(session, sites=["hotel", "annex"]) == 60
        assert len(recent_events(session, sites=["hotel"], limit=5)) == 5
    command.downgrade(config, "events@-1")
    with engine.connect() as conn:
        assert not partitions.is_partitioned(conn)
        pk = inspect(conn).get_pk_constraint("events")
        assert pk["constrained_columns"] == ["id"] and pk["name"] == "pk_events"
        assert {ix["name"] for ix in inspect(conn).get_indexes("events")} >= {
            "ix_events_room_ts", "ix_events_source_seq", "ix_events_credential"}
    assert _count(engine) == 60
    engine.dispose()


def test_an_event_delivered_again_later_is_stored_once(pg_url: str) -> None:
    engine = make_engine(pg_url)
    store = IngestStore(engine)
    last_month = partitions.month_of(NOW).replace(day=15) - timedelta(days=20)
    old = datetime(last_month.year, last_month.month, last_month.day, 8, tzinfo=UTC)
    first = store.write(Batch(received_at=NOW, events=[_row(1, ts=old), _row(2, ts=NOW)]))
    assert {("hotel", partitions.month_of(old)), ("hotel", partitions.month_of(NOW))} <= _leaves(engine)
    # later: a new property's partition made in between, then the same events again (a resend
    # after a lost confirmation), one of them beside new ones, the other alone
    store.write(Batch(received_at=NOW, events=[_row(9, ts=NOW, site="annex")]))
    again = store.write(Batch(received_at=NOW, events=[_row(1, ts=old), _row(3, ts=NOW)]))
    alone = IngestStore(engine).write(Batch(received_at=NOW, events=[_row(2, ts=NOW)]))
    assert [e["id"] for e in first.new_events] == ["E00001", "E00002"]
    assert [e["id"] for e in again.new_events] == ["E00003"]
    assert alone.new_events == []
    assert _count(engine) == 4
    engine.dispose()


def test_an_event_of_any_representable_month_is_stored(pg_url: str) -> None:
    """A gateway's clock far off still gets its event a partition: the first and last months a
    timestamp holds (the last one open-ended)."""
    engine = make_engine(pg_url)
    store = IngestStore(engine)
    far = [datetime(1, 1, 1, 12, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)]
    made = store.write(Batch(received_at=NOW, events=[_row(n, ts=ts) for n, ts in enumerate(far)]))
    assert len(made.new_events) == 2
    assert {("hotel", date(1, 1, 1)), ("hotel", date(9999, 12, 1))} <= _leaves(engine)
    engine.dispose()


def test_months_are_utc_whatever_the_session_time_zone(pg_url: str) -> None:
    engine = make_engine(pg_url, connect_args={"options": "-c TimeZone=America/New_York"})
    first_of_march = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # still February in New York
    IngestStore(engine).write(Batch(received_at=NOW, events=[_row(1, ts=first_of_march)]))
    assert ("hotel", date(2026, 3, 1)) in _leaves(engine)
    assert ("hotel", date(2026, 2, 1)) not in _leaves(engine)
    # a second process finds the partition made (it would fail to attach it twice)
    again = IngestStore(engine).write(Batch(received_at=NOW, events=[_row(2, ts=first_of_march)]))
    assert [e["id"] for e in again.new_events] == ["E00002"]
    engine.dispose()


def test_two_workers_making_the_same_partitions_at_once_both_go_on(pg_url: str) -> None:
    engine = make_engine(pg_url)
    month = partitions.month_of(NOW)
    pairs = [("hotel", month), ("annex", month), ("hotel", partitions.next_month(month))]
    makers = [partitions.EventPartitions(engine) for _ in range(4)]
    start = threading.Barrier(len(makers))
    errors: list[BaseException] = []

    def make(maker: partitions.EventPartitions) -> None:
        start.wait()
        try:
            maker.ensure(pairs)
        except BaseException as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=make, args=(m,)) for m in makers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert set(pairs) <= _leaves(engine)
    engine.dispose()


def test_the_dead_letter_of_a_bad_batch_item_is_stored_once_though_the_resent_batch_has_a_new_ts(
        pg_url: str) -> None:
    engine = make_engine(pg_url)
    store = IngestStore(engine)
    bad = _row(7, ts=NOW - timedelta(days=40), type=BAD_ITEM_TYPE) | {"seq": None, "dead_letter": "x"}
    store.write(Batch(received_at=NOW, events=[bad]))
    resent = store.write(Batch(received_at=NOW, events=[bad | {"ts": NOW}, _row(8, ts=NOW)]))
    assert [e["id"] for e in resent.new_events] == ["E00008"]
    with Session(engine) as session:
        assert [e.id for e in dead_letters(session, sites=["hotel"])] == ["E00007"]
    engine.dispose()


def test_partitions_are_made_ahead_for_known_properties_and_old_months_detached(pg_url: str) -> None:
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(insert(Gateway.__table__), [{"site": "hotel", "floor": "f1"},
                                                 {"site": "o'brien inn", "floor": "f1"}])
    store = IngestStore(engine)
    this, after = partitions.months_ahead(NOW)
    old = datetime(2025, 3, 10, tzinfo=UTC)
    store.write(Batch(received_at=NOW, events=[_row(1, ts=old), _row(2, ts=NOW)]))
    made = store.partitions.ahead(NOW)
    leaves = _leaves(engine)
    assert {("hotel", this), ("hotel", after), ("o'brien inn", this), ("o'brien inn", after)} <= leaves
    assert made == 3  # hotel's this month came with its event
    assert store.partitions.ahead(NOW) == 0  # a second round finds them all
    with pytest.raises(ValueError, match="still live"):
        store.partitions.detach_before(after, now=NOW)
    detached = store.partitions.detach_before(this, now=NOW)
    assert [(d.site, d.month) for d in detached] == [("hotel", date(2025, 3, 1))]
    assert _count(engine) == 1  # the old month is out of every query ...
    assert detached[0].table == partitions.month_table("hotel", date(2025, 3, 1)) + "_old"
    assert _count(engine, detached[0].table) == 1  # ... and kept, to archive and drop
    # an event of the detached month arriving later gets a fresh partition, not the archive back
    store.write(Batch(received_at=NOW, events=[_row(3, ts=old)]))
    assert _count(engine) == 2 and _count(engine, detached[0].table) == 1
    again = store.partitions.detach_before(this, now=NOW)
    assert [d.table for d in again] == [detached[0].table + "2"]
    engine.dispose()


def test_sqlite_keeps_a_plain_table(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    store = IngestStore(engine)
    old = datetime(2025, 1, 1, tzinfo=UTC)
    store.write(Batch(received_at=NOW, events=[_row(1, ts=NOW), _row(2, ts=old)]))
    store.write(Batch(received_at=NOW, events=[_row(1, ts=NOW)]))
    assert store.partitions.ahead(NOW) == 0
    assert store.partitions.detach_before(date(2026, 1, 1), now=NOW) == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(EventRecord)).scalar_one() == 2
    engine.dispose()
