"""The composition root: one typed set of services per app, nothing kept on app.state."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from cloud.app import create_app
from cloud.settings import Settings
from tests.support.db import migrated_sqlite

AT = datetime(2027, 1, 5, 9, tzinfo=UTC)


def _settings(tmp_path: Path, name: str) -> Settings:
    return Settings(database_url=migrated_sqlite(tmp_path / name), mqtt_enabled=False,
                    keys_dir=str(tmp_path / f"keys-{name}"), secret_key=f"secret-of-{name}-0123456789")


def test_two_apps_share_nothing(tmp_path: Path) -> None:
    one, two = create_app(_settings(tmp_path, "a.db")), create_app(_settings(tmp_path, "b.db"))
    try:
        assert one.services.engine is not two.services.engine
        assert one.services.auth.settings.secret_key == "secret-of-a.db-0123456789"
        assert two.services.guests.settings.secret_key == "secret-of-b.db-0123456789"
        assert not vars(one.state)["_state"], "areas keep nothing on app.state"
    finally:
        one.services.engine.dispose()
        two.services.engine.dispose()


def test_the_injected_clock_reaches_every_area(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, "c.db"), clock=lambda: AT)
    services = app.services
    assert services.clock() == services.billing.clock() == services.notify.clock() == AT
    services.engine.dispose()


def test_workers_start_with_the_app_and_stop_with_it(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, "d.db"))
    with TestClient(app) as client:
        assert client.get("/health").json()["status"] == "ok"
        running = list(app.services.background)
        assert len(running) == len(app.services.workers) >= 2  # the stay clock, the message outbox
    assert not app.services.background


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every API route, in the order they are tried (included routers opened in place)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(_api_routes(route.original_router.routes))
    return found


def _sample(path: str) -> str:
    """``path`` with each parameter filled by a value its convertor takes."""
    def value(match: re.Match[str]) -> str:
        convertor = match.group(2) or ""
        return {":int": "12", ":path": "a/b", ":float": "1.5"}.get(convertor, "x1")

    return re.sub(r"\{(\w+)(:\w+)?\}", value, path)


def test_every_route_is_reached_by_its_own_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The routes are tried in order (the frequent ones first, for speed): each route's own path
    still reaches it, so no route sits behind another that takes its requests."""
    app = create_app(_settings(tmp_path, "e.db"))
    reached: list[APIRoute] = []

    async def handle(route: APIRoute, scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(route)
        await Response(b"", 204)(scope, receive, send)

    monkeypatch.setattr(APIRoute, "handle", handle)
    routes = _api_routes(app.routes)
    assert any(route.path == "/health" for route in routes)
    shadowed = []
    with TestClient(app.router) as client:  # the routing alone, without the middleware
        for route in routes:
            for method in sorted(route.methods):
                reached.clear()
                client.request(method, _sample(route.path), follow_redirects=False)
                if [(r.path, method in r.methods) for r in reached] != [(route.path, True)]:
                    shadowed.append(f"{method} {route.path} -> {[r.path for r in reached]}")
    app.services.engine.dispose()
    assert not shadowed
