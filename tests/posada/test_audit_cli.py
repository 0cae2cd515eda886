"""``posada audit verify`` through the command line: exit 0 on an intact trail."""

from __future__ import annotations

import pytest

from cloud.auth.audit import audit
from cloud.auth.audit_seal import seal_all
from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import upgrade
from posada.cli import main


def test_verify_reports_an_intact_trail(sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as s:
        audit(s, "system:test", "price.update", "price", "7", {"after": {"amount_minor": 9000}})
    seal_all(sessions)
    engine.dispose()
    monkeypatch.setenv("POSADA_DATABASE_URL", sqlite_url)
    assert main(["audit", "verify"]) == 0
    assert "audit trail intact: 1 entries" in capsys.readouterr().out
