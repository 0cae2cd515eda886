"""An app on a fresh database with one account per role at two properties of one chain."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cloud.app import create_app
from cloud.auth.accounts import create_staff, ensure_property
from cloud.auth.context import AuthContext
from cloud.auth.roles import Role
from cloud.settings import Settings

PASSWORD = "correct-horse-battery"
ROLES = [r for r in Role if r is not Role.CHAIN_ADMIN]


@dataclass
class PortalApp:
    app: FastAPI

    @property
    def auth(self) -> AuthContext:
        ctx: AuthContext = self.app.services.auth
        return ctx

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver")

    def sign_in(self, client: TestClient, username: str, password: str = PASSWORD) -> None:
        client.get("/signin")
        token = csrf_of(client)
        r = client.post(
            "/signin",
            data={"username": username, "password": password, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text


def csrf_of(client: TestClient, path: str = "/signin") -> str:
    import re

    page = client.get(path).text
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert match, page[:500]
    return match.group(1)


def fast_auth_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSADA_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("POSADA_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("POSADA_LOCKOUT_THRESHOLD", "3")


@contextmanager
def portal_app(database_url: str) -> Iterator[PortalApp]:
    """The app with the accounts above. On SQLite the database is a copy of one made once per test
    process (migrations and nine argon2 hashes cost about a second per test otherwise)."""
    target = database_url.removeprefix("sqlite:///")
    if target != database_url and os.environ.get("POSADA_ARGON2_MEMORY_KIB") == "1024":
        shutil.copyfile(_sqlite_template(), target)
    else:
        _seed_accounts(database_url)
    app = create_app(Settings(database_url=database_url, mqtt_enabled=False))
    yield PortalApp(app)
    app.services.engine.dispose()


@functools.cache
def _sqlite_template() -> Path:
    folder = tempfile.mkdtemp(prefix="posada-portal-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = Path(folder) / "template.db"
    _seed_accounts(f"sqlite:///{path}")
    return path


def _seed_accounts(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, mqtt_enabled=False))
    ctx: AuthContext = app.services.auth
    with ctx.sessionmaker() as session, session.begin():
        ensure_property(session, site="hotel", chain="acme", name="Hotel", time_zone="Europe/Madrid")
        ensure_property(session, site="annex", chain="acme", name="Annex", time_zone="Asia/Shanghai")
        ensure_property(session, site="rival", chain="other", name="Rival", time_zone="UTC")
        for site in ("hotel", "annex"):
            for role in ROLES:
                create_staff(
                    session,
                    actor="test",
                    passwords=ctx.passwords,
                    username=f"{role.value}-{site}",
                    display_name=f"{role.value} {site}",
                    password=PASSWORD,
                    role=role,
                    site=site,
                )
        create_staff(
            session,
            actor="test",
            passwords=ctx.passwords,
            username="chain-admin",
            display_name="Chain Admin",
            password=PASSWORD,
            role=Role.CHAIN_ADMIN,
            site=None,
            chain="acme",
        )
    app.services.engine.dispose()
