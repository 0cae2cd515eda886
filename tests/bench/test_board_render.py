"""Room board render time for a 1,000-room property (server time, signed in).

Run: .venv/bin/python -m pytest -m bench -s -p no:xdist tests/bench/test_board_render.py

CPU time per page (this process's, every thread) is printed beside the wall time: on a shared
machine it is the steadier figure.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cloud.app import create_app
from cloud.auth.roles import Role
from cloud.board.models import Gateway, RoomStatus
from cloud.settings import Settings
from mqtt.envelope import utcnow
from tests.support.pg import fresh_database
from tests.support.staff import sign_in_staff

pytestmark = pytest.mark.bench


def _seed(app: object) -> None:
    now = utcnow()
    with app.services.sessions.begin() as session:  # type: ignore[attr-defined]
        for level in range(1, 41):
            floor = f"f{level}"
            session.add(Gateway(site="hotel", floor=floor, state="online", version="0.1.0", last_seen=now))
            for n in range(1, 26):
                session.add(RoomStatus(site="hotel", floor=floor, room=f"{level}{n:02d}", occupied=n % 3 != 0,
                                       guest_present=n % 2 == 0, door="closed", lock="locked",
                                       housekeeping="clean", last_access_at=now, last_access_granted=True,
                                       last_access_reason="granted", updated_at=now))


def _measure(url: str, label: str) -> None:
    app = create_app(Settings(database_url=url, mqtt_enabled=False))
    _seed(app)
    with TestClient(app) as client:
        sign_in_staff(client, role=Role.FRONT_DESK)
        for _ in range(3):
            assert client.get("/").status_code == 200
        times = []
        cpu = time.process_time()
        for _ in range(30):
            began = time.perf_counter()
            page = client.get("/")
            times.append((time.perf_counter() - began) * 1000)
            assert page.status_code == 200 and page.text.count('class="room ') == 1000
        cpu_ms = (time.process_time() - cpu) * 1000 / len(times)
        times.sort()
        print(f"\n[board {label}] 1,000 rooms / 40 floors: p50 {statistics.median(times):.1f} ms, "
              f"p95 {times[int(len(times) * 0.95) - 1]:.1f} ms (server time through the ASGI test client), "
              f"{cpu_ms:.1f} ms of CPU per page (client included)")
        assert times[len(times) // 2] < 2000, "gross regression"


def test_board_render_on_postgresql() -> None:
    with fresh_database() as url:
        _measure(url, "postgresql")


def test_board_render_on_sqlite(tmp_path: Path) -> None:
    _measure(f"sqlite:///{tmp_path / 'cloud.db'}", "sqlite")
