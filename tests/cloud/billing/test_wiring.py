from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cloud.app import create_app
from cloud.auth.roles import Role
from cloud.notify.models import OutboxMessage
from cloud.settings import Settings
from tests.support.db import migrated_sqlite
from tests.support.staff import sign_in_staff


def test_the_cloud_app_serves_billing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSADA_BILLING_TAXES", '{"*": {"rates": [{"code": "VAT", "percent": "10"}]}}')
    app = create_app(Settings(database_url=migrated_sqlite(tmp_path / "cloud.db"),
                              mqtt_enabled=False))
    with TestClient(app) as client:
        sign_in_staff(client, site="centro", role=Role.FRONT_DESK)  # staff of the folio's property only
        folio = client.post("/api/v1/folios", headers={"Idempotency-Key": "f1"}, json={
            "site": "centro", "currency": "EUR", "guest": {"name": "Eva", "language": "es"}})
        assert folio.status_code == 201, folio.text
        url = f"/api/v1/folios/{folio.json()['id']}"
        client.post(f"{url}/charges", headers={"Idempotency-Key": "c1"}, json={
            "kind": "restaurant", "unit_price": {"amount": "20.00", "currency": "EUR"}})
        invoice = client.post(f"{url}/invoices", headers={"Idempotency-Key": "i1"}, json={})
        assert invoice.json()["total_minor"] == 2200
        assert client.get(invoice.json()["pdf"]).content.startswith(b"%PDF")
        paths = client.get("/openapi.json").json()["paths"]
        assert "/api/v1/invoices/{invoice_id}/pdf" in paths
        assert "/api/v1/notify/whatsapp/webhook" in paths
        assert app.services.background, "the notify loop runs with the app"


def test_ingest_hook_queues_housekeeping_in_the_ingest_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSADA_TELEGRAM_HOUSEKEEPING_CHATS", '{"centro/p3": "-300"}')
    app = create_app(Settings(database_url=migrated_sqlite(tmp_path / "cloud.db"),
                              mqtt_enabled=False))
    [hook] = [h for h in app.services.event_hooks if h.__qualname__.startswith("housekeeping_hook")]
    at = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)
    events = [{"id": "e1", "type": "room.vacated", "site": "centro", "floor": "p3",
               "room": "301", "ts": at, "data": {}},
              {"id": "e2", "type": "access.granted", "site": "centro", "floor": "p3",
               "room": "301", "ts": at, "data": {}}]
    engine = app.services.engine
    with pytest.raises(RuntimeError), engine.begin() as conn:
        hook(conn, events)
        raise RuntimeError("the ingest batch fails: nothing may be queued")
    with engine.begin() as conn:
        hook(conn, events)
    with app.services.sessions() as session:
        rows = session.scalars(select(OutboxMessage)).all()
    assert [(r.channel, r.recipient, r.template) for r in rows] == [
        ("telegram", "-300", "room_vacated")]
