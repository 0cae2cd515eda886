"""A chain of two hotels (``hotel`` and ``annex``, chain ``acme``) and a rival outside it, with
desk and manager tokens at each, on one app whose clock the test moves."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from cloud.app import create_app
from cloud.auth.accounts import create_staff, principal_of
from cloud.auth.roles import Role
from cloud.auth.sessions import issue_api_token
from cloud.services import PosadaApp
from cloud.settings import Settings
from cloud.setup import service
from cloud.setup.demo import DEMO_FILE
from cloud.setup.parsing import parse
from tests.support.db import migrated_sqlite

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Madrid
SITES = {"hotel": ("acme", 1), "annex": ("acme", 2), "rival": ("other", 3)}


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def at(self, when: datetime) -> None:
        self.now = when


@dataclass
class Chain:
    app: PosadaApp
    clock: Clock
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, who: str) -> TestClient:
        client = TestClient(self.app, base_url="http://testserver")
        client.headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return client

    def call(self, who: str, method: str, url: str, expect: int = 200, **kw: Any) -> Any:
        r = self.client(who).request(method, url, **kw)
        assert r.status_code == expect, f"{method} {url}: {r.status_code} {r.text}"
        return r.json() if r.content and r.headers.get("content-type", "").endswith("json") else r


def _document(site: str, chain: str, number: int) -> bytes:
    text = DEMO_FILE.read_text()
    text = text.replace("site: hotel", f"site: {site}").replace("number: 1\n", f"number: {number}\n")
    return text.replace("chain: posada-demo", f"chain: {chain}").encode()


@contextmanager
def chain_app(database_url: str | None = None) -> Iterator[Chain]:
    """The chain on a SQLite file of its own, or on ``database_url`` (a migrated PostgreSQL copy)."""
    folder = tempfile.TemporaryDirectory(prefix="posada-loyalty-")
    clock = Clock()
    url = database_url or migrated_sqlite(Path(folder.name) / "chain.db")
    app = create_app(Settings(database_url=url, mqtt_enabled=False), clock=clock)
    chain = Chain(app, clock)
    ctx = app.services.auth
    with app.services.sessions.begin() as session:
        for site, (name, number) in SITES.items():
            service.apply(session, parse(_document(site, name, number)), "test")
        for site, (name, _number) in SITES.items():
            for role in (Role.FRONT_DESK, Role.MANAGER):
                user = create_staff(
                    session,
                    actor="test",
                    passwords=ctx.passwords,
                    username=f"{role.value}-{site}",
                    display_name=site,
                    password="correct-horse-battery",
                    role=role,
                    site=site,
                    chain=name,
                )
                user.email = f"{role.value}-{site}@example.com" if role is Role.MANAGER else None
                token, _ = issue_api_token(
                    session,
                    principal=principal_of(session, user),
                    name="t",
                    now=START - timedelta(days=1),
                    settings=ctx.settings,
                )
                chain.tokens[f"{role.value}-{site}"] = token
        admin = create_staff(
            session,
            actor="test",
            passwords=ctx.passwords,
            username="chain-admin",
            display_name="acme",
            password="correct-horse-battery",
            role=Role.CHAIN_ADMIN,
            site=None,
            chain="acme",
        )
        token, _ = issue_api_token(
            session,
            principal=principal_of(session, admin),
            name="t",
            now=START - timedelta(days=1),
            settings=ctx.settings,
        )
        chain.tokens["chain-admin"] = token
    try:
        yield chain
    finally:
        app.services.engine.dispose()
        folder.cleanup()
