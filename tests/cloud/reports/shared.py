"""One app per test module for the report tests that write nothing (reads, refusals, 403s): they
share the app, its database and a signed-in client per role, which keeps them independent of each
other and of their order, since none of them changes what another reads. Tests that book, post or
record keep an app of their own (``test_api``'s ``desk``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from cloud.app import create_app
from cloud.auth.accounts import create_staff, principal_of
from cloud.auth.context import AuthContext
from cloud.auth.roles import Role
from cloud.auth.sessions import issue_api_token
from cloud.core.db import make_sessionmaker
from cloud.settings import Settings
from cloud.setup.demo import seed_demo
from mqtt.envelope import utcnow
from tests.support.db import migrated_engine, migrated_sqlite

ROLES = (Role.MANAGER, Role.FRONT_DESK, Role.HOUSEKEEPING, Role.MAINTENANCE)
NOW = datetime(2027, 3, 1, 15, 30, tzinfo=UTC)  # test_api's

@dataclass(frozen=True, slots=True)
class Shared:
    clients: dict[Role, TestClient]  # each carries a bearer token of its role at "hotel"


@pytest.fixture(name="shared", scope="module")
def _shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    url = migrated_sqlite(tmp_path_factory.mktemp("reports-shared") / "cloud.db")
    engine = migrated_engine(url)
    with make_sessionmaker(engine).begin() as s:
        seed_demo(s)
    engine.dispose()
    app = create_app(Settings(database_url=url, mqtt_enabled=False), clock=lambda: NOW)
    ctx: AuthContext = app.services.auth
    tokens = {}
    with ctx.sessionmaker.begin() as s:
        for role in ROLES:
            user = create_staff(s, actor="test", passwords=ctx.passwords, username=f"{role.value}-hotel",
                                display_name="Test", password="correct-horse-battery", role=role,
                                site="hotel")
            s.flush()
            tokens[role], _row = issue_api_token(s, principal=principal_of(s, user), name="tests",
                                                 now=utcnow(), settings=ctx.settings)
    try:
        with TestClient(app):  # the app's start and stop, once for the module
            yield Shared({role: TestClient(app, headers={"Authorization": f"Bearer {token}"})
                          for role, token in tokens.items()})
    finally:
        app.services.engine.dispose()
