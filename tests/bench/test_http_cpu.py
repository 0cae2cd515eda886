"""CPU per request of the hot reads inside the process (no HTTP server, no network): the app
called with ASGI messages on its own loop, for availability, ``/api/v1/auth/me`` and ``/health``.

Steadier than requests/s on a shared machine; it leaves out uvicorn's parsing and writing, the
same for every FastAPI server. The process's CPU counts every thread of the app; PostgreSQL's
own time is not in it. Run: ``.venv/bin/python -m pytest -m bench -s -p no:xdist
tests/bench/test_http_cpu.py`` (``POSADA_BENCH_CPU_REQUESTS`` requests a round, default 2000;
``POSADA_BENCH_CPU_ONLY=availability`` one of them, e.g. under a profiler).
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cloud.app import create_app
from cloud.auth.accounts import create_staff, ensure_property, principal_of
from cloud.auth.passwords import Passwords
from cloud.auth.roles import Role
from cloud.auth.sessions import issue_api_token
from cloud.auth.settings import AuthSettings
from cloud.services import PosadaApp
from cloud.settings import Settings
from tests.bench.test_reservations_bench import _hotel, _reference_seconds
from tests.support.pg import fresh_database

pytestmark = pytest.mark.bench
REQUESTS = int(os.environ.get("POSADA_BENCH_CPU_REQUESTS", "2000"))
ROUNDS = 3
Query = Callable[[int], bytes]


def _token(app: PosadaApp) -> str:
    with app.services.sessions.begin() as s:
        _hotel(s)
        ensure_property(s, site="big", chain="bench", name="Big", time_zone="Europe/Madrid")
        user = create_staff(
            s,
            actor="bench",
            passwords=Passwords(AuthSettings(argon2_memory_kib=1024)),
            username="bench-desk",
            display_name="Desk",
            password=secrets.token_urlsafe(16),
            role=Role.FRONT_DESK,
            site="big",
            chain="bench",
        )
        s.flush()
        token, _row = issue_api_token(
            s, principal=principal_of(s, user), name="bench", now=datetime.now(UTC), settings=AuthSettings()
        )
    return token


async def _requests(
    app: PosadaApp, path: str, query: Query, headers: list[tuple[bytes, bytes]], n: int
) -> float:
    """CPU seconds per request of ``n`` GETs of ``path``; every one must answer 200."""
    statuses: set[int] = set()
    last = [b""]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.add(message["status"])
        else:
            last[0] = message.get("body", b"")

    began = time.process_time()
    for i in range(n):
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": query(i),
            "headers": list(headers),
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        await app(scope, receive, send)
    cpu = time.process_time() - began
    assert statuses == {200}, (path, statuses, last[0][:300])
    return cpu / n


def test_cpu_per_request_of_the_hot_reads() -> None:
    print(f"\n[http cpu] reference loop {_reference_seconds():.2f} s; {REQUESTS} requests a round")
    with fresh_database("posada_cpu") as url:
        app = create_app(
            Settings(
                database_url=url,
                mqtt_enabled=False,
                api_rate_per_minute=100_000_000,
                api_rate_burst=1_000_000,
            )
        )
        token = _token(app)
        first = date.today() + timedelta(days=2)
        auth = [(b"authorization", f"Bearer {token}".encode()), (b"host", b"testserver")]

        def stay(i: int) -> bytes:  # 1-4 nights over a year, 1 or 2 adults
            arrival = first + timedelta(days=i % 300)
            departure = arrival + timedelta(days=1 + i % 4)
            return f"arrival={arrival}&departure={departure}&adults={1 + i % 2}".encode()

        cases: dict[str, tuple[str, Query, list[tuple[bytes, bytes]]]] = {
            "availability": ("/api/v1/properties/big/availability", stay, auth),
            "/me": ("/api/v1/auth/me", lambda i: b"", auth),
            "/health": ("/health", lambda i: b"", [(b"host", b"testserver")]),
        }
        only = os.environ.get("POSADA_BENCH_CPU_ONLY")
        cases = {name: case for name, case in cases.items() if not only or name == only}
        with TestClient(app) as client:  # the lifespan opens the event loop's pool
            for path, query, headers in cases.values():
                client.portal.call(_requests, app, path, query, headers, 300)  # warm
            for _round in range(ROUNDS):
                line = [
                    f"{name} {1e6 * client.portal.call(_requests, app, *case, REQUESTS):.0f} us"
                    for name, case in cases.items()
                ]
                print("  " + "   ".join(line), flush=True)
    print(f"  reference loop after: {_reference_seconds():.2f} s")
