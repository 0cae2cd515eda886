from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cloud.auth.portal_app import PortalApp, fast_auth_env, portal_app


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> Iterator[PortalApp]:
    fast_auth_env(monkeypatch)
    with portal_app(sqlite_url) as app:
        yield app
