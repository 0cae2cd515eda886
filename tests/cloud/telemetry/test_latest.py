from datetime import UTC, datetime, timedelta

from cloud.telemetry.latest import LatestStore, merge
from cloud.telemetry.points import all_points
from tests.cloud.telemetry.dbutil import migrated
from tests.cloud.telemetry.factory import item

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_merge_tracks_since_when_a_value_holds_and_since_when_it_rises():
    kept: dict = {}
    merge(kept, "outbox_depth", 5, T0)
    merge(kept, "outbox_depth", 9, T0 + timedelta(minutes=1))
    merge(kept, "outbox_depth", 12, T0 + timedelta(minutes=2))
    assert kept["outbox_depth"]["rising"] == T0.isoformat()
    assert kept["outbox_depth"]["since"] == (T0 + timedelta(minutes=2)).isoformat()
    merge(kept, "outbox_depth", 3, T0 + timedelta(minutes=3))
    assert kept["outbox_depth"]["rising"] is None


def test_merge_ignores_a_reading_older_than_the_kept_one():
    kept: dict = {}
    merge(kept, "door_open", True, T0 + timedelta(minutes=1))
    merge(kept, "door_open", False, T0)
    assert kept["door_open"]["v"] is True


def test_latest_values_are_kept_per_room_and_survive_late_backlog(db_url):
    store = LatestStore(migrated(db_url))
    store.write(all_points([
        item("101", at=T0, readings={"door_open": True, "temperature_c": 21.0}),
        item("102", at=T0, readings={"occupied": True}),
    ]))
    store.write(all_points([
        item("101", at=T0 + timedelta(minutes=5), readings={"temperature_c": 22.0}),
        item("101", at=T0 + timedelta(minutes=9),
             samples=[(T0 - timedelta(hours=1), {"door_open": False, "temperature_c": 5.0})]),
    ]))
    rows = {row.room: row for row in store.rooms(site="hq")}
    assert set(rows) == {"101", "102"}
    readings = rows["101"].readings
    assert readings["temperature_c"]["v"] == 22.0
    assert readings["door_open"] == {"v": True, "at": T0.isoformat(), "since": T0.isoformat(),
                                     "rising": None}


def test_two_writers_on_the_same_rooms_lose_no_reading(db_url):
    import threading

    sessions = migrated(db_url)
    stores = [LatestStore(sessions), LatestStore(sessions)]
    keys = ["temperature_c", "humidity_pct"]

    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            write(n)
        except BaseException as exc:
            errors.append(exc)

    def write(n: int) -> None:
        for i in range(10):
            stores[n].write(all_points([item(f"r{r}", at=T0 + timedelta(seconds=i),
                                             readings={keys[n]: float(i)}) for r in range(5)]))

    threads = [threading.Thread(target=run, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = stores[0].rooms()
    assert len(rows) == 5
    for row in rows:
        assert row.readings["temperature_c"]["v"] == 9.0
        assert row.readings["humidity_pct"]["v"] == 9.0
