"""The day's housekeeping tasks on the real app: generated from the stays and from a vacated
room, assigned by floor and workload, minutes recorded; generating twice adds nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.roles import Role
from cloud.cards.issuer import KeyringIssuer
from cloud.core.db import make_sessionmaker
from cloud.housekeeping.task_loop import DailyTasks, vacated_hook
from cloud.keys.storage import KeyDirectory
from cloud.setup.demo import seed_demo
from tests.cloud.operations.conftest import Clock, book_and_check_in
from tests.cloud.reservations.apps import client_for
from tests.support.db import migrated_engine

BASE = "/api/v1/properties/hotel/housekeeping"
NOW = datetime(2027, 3, 1, 15, 30, tzinfo=UTC)


@pytest.fixture(scope="module", name="sessions")
def _sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    engine = migrated_engine(f"sqlite:///{tmp_path_factory.mktemp('hk') / 'cloud.db'}")
    maker: sessionmaker[Session] = make_sessionmaker(engine)
    with maker.begin() as s:
        seed_demo(s)
    yield maker
    engine.dispose()


@pytest.fixture(scope="module", name="clock")
def _clock() -> Clock:
    clock = Clock()
    clock.now = NOW
    return clock


@pytest.fixture(scope="module", name="manager")
def _manager(
    sessions: sessionmaker[Session],
    clock: Clock,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TestClient]:
    keys = KeyDirectory(Path(tmp_path_factory.mktemp("keys"))).load_or_create(now=NOW - timedelta(days=30))
    with client_for(sessions, clock=clock, issuer=KeyringIssuer(keys), role=Role.MANAGER) as client:
        yield client


@pytest.fixture(scope="module", name="rooms")
def _rooms(manager: TestClient) -> dict[str, str]:
    leaving = book_and_check_in(manager, arrival="2027-03-01", departure="2027-03-02")
    staying = book_and_check_in(manager, arrival="2027-03-01", departure="2027-03-04")
    return {"leaving": leaving, "staying": staying}


def test_the_day_plan_is_made_once_and_shared_by_floor_and_workload(
    manager: TestClient, rooms: dict[str, str]
) -> None:
    for name in ("ana", "bo"):
        r = manager.put(f"{BASE}/roster/{name}", json={"floors": ["f1", "f2", "f3"]})
        assert r.status_code == 200, r.text
    r = manager.post(f"{BASE}/tasks/generate", json={"day": "2027-03-02"})
    assert r.status_code == 201, r.text
    kinds = sorted(t["kind"] for t in r.json())
    assert kinds == ["departure", "inspection", "stayover", "turndown"]
    load = {
        name: sum(t["expected_minutes"] for t in r.json() if t["assignee"] == name) for name in ("ana", "bo")
    }
    assert set(load) == {"ana", "bo"} and all(load.values())
    again = manager.post(f"{BASE}/tasks/generate", json={"day": "2027-03-02"})
    assert again.status_code == 201 and again.json() == []


def test_a_task_records_the_minutes_it_took(manager: TestClient, rooms: dict[str, str], clock: Clock) -> None:
    manager.post(f"{BASE}/tasks/generate", json={"day": "2027-03-02"})
    task = next(
        t
        for t in manager.get(f"{BASE}/tasks", params={"day": "2027-03-02"}).json()
        if t["kind"] == "turndown"
    )
    assert manager.post(f"{BASE}/tasks/{task['id']}/finish").status_code == 409  # not started
    assert manager.post(f"{BASE}/tasks/{task['id']}/start").json()["state"] == "started"
    clock.now += timedelta(minutes=12)
    try:
        done = manager.post(f"{BASE}/tasks/{task['id']}/finish").json()
    finally:
        clock.now -= timedelta(minutes=12)
    assert done["state"] == "done" and done["minutes"] == 12
    assert manager.post(f"{BASE}/tasks/{task['id']}/finish").status_code == 409


def test_a_vacated_room_gets_its_departure_clean_once(
    manager: TestClient, sessions: sessionmaker[Session]
) -> None:
    event = {"type": "room.vacated", "site": "hotel", "floor": "f2", "room": "201", "ts": NOW}
    engine = sessions.kw["bind"]
    for _ in range(2):
        with engine.begin() as conn:
            vacated_hook(conn, [event, {"type": "door.ajar", "room": "201"}])
    tasks = [
        t for t in manager.get(f"{BASE}/tasks", params={"day": "2027-03-01"}).json() if t["room"] == "201"
    ]
    assert sorted(t["kind"] for t in tasks) == ["departure", "inspection"]
    assert {t["source"] for t in tasks} == {"vacated"}


def test_the_daily_worker_plans_today_and_the_tablet_page_lists_it(
    manager: TestClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    assert DailyTasks(sessions, clock=clock).run_once() >= 0
    vacated = {"type": "room.vacated", "site": "hotel", "floor": "f2", "room": "201", "ts": NOW}
    with sessions.kw["bind"].begin() as conn:  # on its own too: the module's tests may run apart
        vacated_hook(conn, [vacated])
    page = manager.get("/housekeeping/tasks", headers={"Accept-Language": "es"})
    assert (
        page.status_code == 200
        and "Mis tareas de hoy" in page.text
        and 'data-task="201-departure"' in page.text
    )
