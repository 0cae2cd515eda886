"""Staff attendance on the real app: a staff card signed by the cloud punches at a time clock
through the gateway's own decision code; punches become hours, late days and missing punches,
exported as CSV; a revoked card's punch is refused, at the gateway and in the cloud."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.accounts import create_staff
from cloud.auth.roles import Role
from cloud.catalog.models import Property
from cloud.keys.storage import KeyDirectory
from cloud.operations.attendance.service import punch_hook
from edge.access.decision import Reason, decide
from edge.access.memory import MemoryAccessState
from edge.access.ports import PublicKey
from edge.access.scope import Door
from edge.clock import TimeReading
from mqtt.keycard import Area
from tests.cloud.operations.conftest import NOW

# the package's one app and database: its modules run on one worker, in order (conftest.py)
pytestmark = pytest.mark.xdist_group("operations-app")

BASE = "/api/v1/properties/hotel"


@pytest.fixture(scope="module", name="card")
def _card(manager: TestClient, sessions: sessionmaker[Session]) -> dict[str, Any]:
    ctx = manager.app.services.auth  # type: ignore[attr-defined]
    with sessions.begin() as s:
        create_staff(
            s,
            actor="test",
            passwords=ctx.passwords,
            username="wang",
            display_name="Wang Fang",
            password="correct-horse-battery",
            role=Role.HOUSEKEEPING,
            site="hotel",
        )
    r = manager.post(f"{BASE}/staff-cards", json={"username": "wang", "shift_start": "08:00"})
    assert r.status_code == 201, r.text
    return dict(r.json())


def _punch(
    sessions: sessionmaker[Session], event_id: str, card: dict[str, Any], at: datetime, accepted: bool = True
) -> None:
    event = {
        "id": event_id,
        "site": "hotel",
        "floor": "f1",
        "room": None,
        "type": "staff.punch",
        "ts": at,
        "data": {
            "door": "clock-1",
            "accepted": accepted,
            "reason": "granted" if accepted else "revoked",
            "credential_id": card["credential_id"],
            "kind": "staff",
        },
    }
    with sessions.kw["bind"].begin() as conn:
        punch_hook(conn, [event])


def _gateway(keys_dir: Path) -> MemoryAccessState:
    state = MemoryAccessState()
    for key in KeyDirectory(keys_dir).load():
        state.keys[key.key_id] = PublicKey(key.key_id, key.public_bytes())
    return state


def _tap(card: dict[str, Any], state: MemoryAccessState, at: datetime, site: int) -> Reason:
    data = base64.urlsafe_b64decode(card["card"] + "=" * (-len(card["card"]) % 4))
    reading = TimeReading(at=at, trusted=True, not_before=None, offset_s=0.0)
    return decide(data, door=Door(site=site, floor=0, area=Area.STAFF), time=reading, state=state).reason


def test_the_staff_card_opens_the_clock_and_no_room(
    card: dict[str, Any], keys_dir: Path, manager: TestClient
) -> None:
    site = _site_number(manager)
    state = _gateway(keys_dir)
    assert _tap(card, state, NOW + timedelta(minutes=1), site) is Reason.GRANTED
    data = base64.urlsafe_b64decode(card["card"] + "=" * (-len(card["card"]) % 4))
    reading = TimeReading(at=NOW + timedelta(minutes=1), trusted=True, not_before=None, offset_s=0.0)
    room = decide(data, door=Door(site=site, floor=1, room=101), time=reading, state=state)
    assert room.reason is Reason.WRONG_DOOR


def _site_number(client: TestClient) -> int:
    with client.app.services.sessions() as s:  # type: ignore[attr-defined]
        return int(s.scalar(select(Property.number).where(Property.slug == "hotel")) or 0)


def test_a_week_of_punches_gives_hours_late_days_and_missing_punches_as_csv(
    manager: TestClient, sessions: sessionmaker[Session], card: dict[str, Any]
) -> None:
    monday = datetime.fromisoformat("2027-03-01T08:00:00+01:00")
    _punch(sessions, "p1", card, monday)
    _punch(sessions, "p2", card, monday + timedelta(hours=8, minutes=30))
    _punch(sessions, "p3", card, monday + timedelta(days=1, minutes=20))  # Tuesday: late, and no way out
    _punch(sessions, "p3", card, monday + timedelta(days=1, minutes=20))  # the same event twice: once
    (wang,) = manager.get(f"{BASE}/attendance", params={"week": "2027-W09"}).json()
    assert wang == {
        "person": "wang",
        "minutes": 510,
        "hours": "8:30",
        "late": ["2027-03-02"],
        "missing": ["2027-03-02"],
    }
    csv = manager.get(f"{BASE}/attendance.csv", params={"week": "2027-W09"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[1] == "wang,510,8:30,2027-03-02,2027-03-02"
    assert manager.get(f"{BASE}/attendance", params={"week": "2027-W99"}).status_code == 422


def test_a_revoked_card_is_refused_at_the_clock_and_its_punch_never_counts(
    manager: TestClient, sessions: sessionmaker[Session], card: dict[str, Any], keys_dir: Path
) -> None:
    r = manager.post(f"{BASE}/staff-cards/{card['credential_id']}/revoke")
    assert r.status_code == 200, r.text
    assert manager.post(f"{BASE}/staff-cards/{card['credential_id']}/revoke").status_code == 409
    state = _gateway(keys_dir)
    state.revocations[card["credential_id"]] = None  # the floor applied credential.revoke
    assert _tap(card, state, NOW + timedelta(minutes=5), _site_number(manager)) is Reason.REVOKED
    before = manager.get(f"{BASE}/attendance", params={"week": "2027-W09"}).json()
    _punch(sessions, "p-offline", card, NOW + timedelta(hours=2))  # an offline floor that had not heard
    assert manager.get(f"{BASE}/attendance", params={"week": "2027-W09"}).json() == before


def test_a_card_for_someone_who_is_not_staff_here_is_refused(manager: TestClient) -> None:
    r = manager.post(f"{BASE}/staff-cards", json={"username": "nobody"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("lang", "word"), [("en", "Late arrivals"), ("es", "Llegadas tarde"), ("zh-Hans", "迟到")]
)
def test_the_attendance_page_shows_the_week_in_each_language(
    manager: TestClient, card: dict[str, Any], lang: str, word: str
) -> None:
    page = manager.get(
        "/operations/attendance", params={"week": "2027-W09"}, headers={"Accept-Language": lang}
    )
    assert page.status_code == 200 and word in page.text
