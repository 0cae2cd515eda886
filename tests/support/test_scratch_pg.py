"""The scratch PostgreSQL of a test session: started on demand, and a dead session's one reaped."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

from tests.support import scratch_pg


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.service
def test_a_killed_sessions_cluster_is_reaped_by_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    scratch_pg.BASE.mkdir(mode=0o755, exist_ok=True)
    directory = scratch_pg.BASE / f"{_dead_pid()}-reaptest"
    directory.mkdir(mode=0o755)
    monkeypatch.delenv(scratch_pg.URL_VARIABLE, raising=False)
    monkeypatch.setenv(scratch_pg.DIR_VARIABLE, str(directory))
    url = scratch_pg.admin_url()
    with psycopg.connect(url, connect_timeout=5) as conn:
        assert conn.execute("SHOW max_connections").fetchone() == ("400",)
        assert conn.execute("SHOW fsync").fetchone() == ("off",)
    assert scratch_pg.admin_url() == url  # started once, then reused
    postmaster = int((directory / "data" / "postmaster.pid").read_text().split()[0])

    scratch_pg.reap_stale()

    assert not directory.exists()
    assert not scratch_pg._alive(postmaster)


def test_an_external_server_is_used_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(scratch_pg.URL_VARIABLE, "postgresql://postgres@db.example:5433/postgres")
    assert scratch_pg.admin_url() == "postgresql://postgres@db.example:5433/postgres"
    assert scratch_pg.prepare_session() is None
