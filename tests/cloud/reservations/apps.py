"""The project's app (create_app) on the test database, with a signed-in front desk via an API token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cloud.app import create_app
from cloud.auth.accounts import create_staff, principal_of
from cloud.auth.context import AuthContext
from cloud.auth.roles import Role
from cloud.auth.sessions import issue_api_token
from cloud.reservations.stays.credentials import CredentialIssuer
from cloud.settings import Settings
from mqtt.envelope import utcnow
from tests.support.staff import FAST_AUTH


@contextmanager
def client_for(
    sessions: sessionmaker[Session],
    *,
    clock: Callable[[], datetime],
    issuer: CredentialIssuer | None = None,
    role: Role = Role.FRONT_DESK,
    site: str = "hotel",
) -> Iterator[TestClient]:
    """A client of the real app whose requests carry a bearer token of ``role`` at ``site``."""
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, mqtt_enabled=False, auth=FAST_AUTH)
    app = create_app(settings, clock=clock, issuer=issuer)
    ctx: AuthContext = app.services.auth
    with ctx.sessionmaker.begin() as s:
        user = create_staff(
            s,
            actor="test",
            passwords=ctx.passwords,
            username=f"{role.value}-{site}",
            display_name="Test",
            password="correct-horse-battery",
            role=role,
            site=site,
        )
        s.flush()
        token, _row = issue_api_token(
            s, principal=principal_of(s, user), name="tests", now=utcnow(), settings=ctx.settings
        )
    try:
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
            yield client
    finally:
        app.services.engine.dispose()
