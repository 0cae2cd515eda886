"""How long a sign-in takes with the default argon2id parameters (prints figures)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cloud.auth.passwords import Passwords
from cloud.auth.settings import AuthSettings
from tests.cloud.auth.portal_app import PASSWORD, csrf_of, portal_app

pytestmark = pytest.mark.bench


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms (n={len(ordered)})"


def test_argon2_verify_and_full_sign_in_duration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("POSADA_ARGON2_MEMORY_KIB", "POSADA_ARGON2_TIME_COST", "POSADA_ARGON2_PARALLELISM"):
        monkeypatch.delenv(name, raising=False)
    settings = AuthSettings()
    passwords = Passwords(settings)
    stored = passwords.hash(PASSWORD)
    verify = []
    for _ in range(20):
        start = time.perf_counter()
        assert passwords.verify(stored, PASSWORD)
        verify.append(time.perf_counter() - start)
    print(
        f"\nargon2id t={settings.argon2_time_cost} m={settings.argon2_memory_kib} KiB "
        f"p={settings.argon2_parallelism}: verify {_ms(verify)}"
    )
    with portal_app(f"sqlite:///{tmp_path / 'cloud.db'}") as portal:
        client: TestClient = portal.client()
        token = csrf_of(client)
        full = []
        for _ in range(20):
            start = time.perf_counter()
            r = client.post(
                "/signin",
                data={"username": "front_desk-hotel", "password": PASSWORD, "csrf_token": token},
                follow_redirects=False,
            )
            full.append(time.perf_counter() - start)
            assert r.status_code == 303
            client.cookies.delete("posada_session")
        print(f"POST /signin (verify + session row + commit, SQLite): {_ms(full)}")
