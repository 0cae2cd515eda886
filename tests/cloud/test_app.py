"""The composition root: one typed set of services per app, nothing kept on app.state."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

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
