from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cloud.telemetry.alerts.monitor import AlertMonitor
from cloud.telemetry.alerts.notify import AlertNotice, TextNotifier
from cloud.telemetry.alerts.rules import Thresholds
from cloud.telemetry.latest import LatestStore
from cloud.telemetry.models import Alert, MaintenanceTask
from cloud.telemetry.points import all_points
from tests.cloud.telemetry.dbutil import migrated
from tests.cloud.telemetry.factory import item

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TH = Thresholds(door_ajar_s=60)


class Recorder:
    def __init__(self, fail=False):
        self.opened: list[AlertNotice] = []
        self.closed: list[AlertNotice] = []
        self.fail = fail

    def alert_opened(self, notice):
        if self.fail:
            raise RuntimeError("chat service down")
        self.opened.append(notice)

    def alert_closed(self, notice):
        self.closed.append(notice)


def feed(sessions, at, **readings):
    LatestStore(sessions).write(all_points([item("101", at=at, readings=readings)]))


def test_door_ajar_opens_once_dedupes_while_it_lasts_and_closes_when_cleared(db_url):
    sessions = migrated(db_url)
    notifier = Recorder()
    monitor = AlertMonitor(sessions, thresholds=TH, notifier=notifier)
    feed(sessions, T0, door_open=True)
    assert monitor.tick(T0 + timedelta(seconds=30)).opened == []
    assert len(monitor.tick(T0 + timedelta(seconds=61)).opened) == 1
    again = monitor.tick(T0 + timedelta(seconds=90))
    assert again.opened == [] and again.seen_again == 1
    feed(sessions, T0 + timedelta(seconds=100), door_open=False)
    changes = monitor.tick(T0 + timedelta(seconds=101))
    assert len(changes.closed) == 1
    assert [n.kind for n in notifier.opened] == ["door_ajar"]
    assert [n.subject for n in notifier.closed] == ["101"]
    with sessions() as session:
        [alert] = session.scalars(select(Alert)).all()
        assert alert.seen == 2 and alert.closed_at is not None
        [task] = session.scalars(select(MaintenanceTask)).all()
        assert (task.alert_id, task.room, task.status) == (alert.id, "101", "cleared")
        assert task.title.startswith("Door left open")


def test_condition_returning_after_clearing_opens_a_new_alert_and_task(db_url):
    sessions = migrated(db_url)
    monitor = AlertMonitor(sessions, thresholds=TH)
    feed(sessions, T0, lock_battery_v=2.3)
    monitor.tick(T0)
    feed(sessions, T0 + timedelta(minutes=1), lock_battery_v=3.0)
    monitor.tick(T0 + timedelta(minutes=1))
    feed(sessions, T0 + timedelta(minutes=2), lock_battery_v=2.2)
    monitor.tick(T0 + timedelta(minutes=2))
    with sessions() as session:
        assert session.query(Alert).count() == 2
        assert session.query(MaintenanceTask).count() == 2
        assert session.query(Alert).filter(Alert.closed_at.is_(None)).count() == 1


def test_database_refuses_a_second_open_alert_for_the_same_subject(db_url):
    sessions = migrated(db_url)
    with pytest.raises(IntegrityError), sessions.begin() as session:
        for _ in range(2):
            session.add(Alert(kind="door_ajar", site="hq", floor="f1", subject="101",
                              opened_at=T0, last_seen_at=T0, seen=1))
            session.flush()


def test_failing_notifier_is_counted_and_the_alert_stays_open(db_url):
    sessions = migrated(db_url)
    monitor = AlertMonitor(sessions, thresholds=TH, notifier=Recorder(fail=True))
    feed(sessions, T0, temperature_c=35.0)
    changes = monitor.tick(T0)
    assert len(changes.opened) == 1 and monitor.notify_failures == 1
    assert monitor.tick(T0 + timedelta(seconds=1)).opened == []


def test_text_notifier_sends_readable_lines():
    sent: list[str] = []
    notice = AlertNotice(1, "lock_battery_low", "hq", "f1", "101", "lock battery 9%", T0)
    TextNotifier(sent.append).alert_opened(notice)
    assert sent == ["⚠ Lock battery low: hq / floor f1 / 101. lock battery 9%"]


def test_two_monitors_racing_open_each_alert_once(db_url):
    import threading

    sessions = migrated(db_url)
    for room in ("101", "102", "103"):
        LatestStore(sessions).write(all_points([item(room, at=T0, readings={"lock_battery_v": 2.0})]))
    monitors = [AlertMonitor(sessions, thresholds=TH) for _ in range(2)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(monitor):
        try:
            barrier.wait()
            for i in range(3):
                monitor.tick(T0 + timedelta(seconds=i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(m,)) for m in monitors]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sessions() as session:
        assert sorted(a.subject for a in session.scalars(select(Alert))) == ["101", "102", "103"]
        assert session.query(MaintenanceTask).count() == 3


def test_alert_loop_evaluates_on_its_own_thread(sqlite_url):
    import time

    from cloud.telemetry.alerts.monitor import AlertLoop

    sessions = migrated(sqlite_url)
    feed(sessions, T0, humidity_pct=90.0)
    loop = AlertLoop(AlertMonitor(sessions, thresholds=TH), interval_s=0.05, clock=lambda: T0)
    loop.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with sessions() as session:
            if session.query(Alert).count():
                break
        time.sleep(0.05)
    loop.stop()
    with sessions() as session:
        [alert] = session.scalars(select(Alert)).all()
        assert alert.kind == "humidity_out_of_range"
