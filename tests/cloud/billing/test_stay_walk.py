"""A stay from booking to invoice through the real app: folio, deposit, nights, extras, check-out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import upgrade
from cloud.notify.models import OutboxMessage
from cloud.reservations.seed import seed_demo
from tests.cloud.billing.stay_support import Clock, book, charge, folio, front_desk, owed, pay


@pytest.fixture
def stay_sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    upgrade(engine)
    maker: sessionmaker[Session] = make_sessionmaker(engine)
    with maker.begin() as session:
        seed_demo(session, year=2027)
    yield maker
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(stay_sessions: sessionmaker[Session], clock: Clock,
           tmp_path: Path) -> Iterator[TestClient]:
    yield from front_desk(stay_sessions, clock, tmp_path / "keys")


def test_a_stay_walks_from_booking_to_its_invoice_pdf(
    client: TestClient, clock: Clock, stay_sessions: sessionmaker[Session]
) -> None:
    res = book(client)
    deposit = res["deposit_required_minor"]
    assert deposit == res["nights"][0]["amount_minor"] > 0  # flex: the first night
    opened = folio(client, res["id"])
    assert opened["guest_phone"] == "+34600111222" and opened["status"] == "open"
    assert opened["checkout_at"].startswith("2027-03-06T10:00")  # 11:00 in Madrid
    pay(client, opened["id"], deposit, stage="deposit")
    assert owed(client, res["id"]) == -deposit  # paid ahead: a credit

    clock.now = datetime(2027, 3, 3, 15, 0, tzinfo=UTC)
    assert client.post(f"/api/v1/reservations/{res['id']}/check-in").status_code == 200
    nights = [c for c in folio(client, res["id"])["charges"] if c["kind"] == "room_night"]
    assert [c["gross_minor"] for c in nights] == [n["amount_minor"] for n in res["nights"]]
    minibar = {"kind": "minibar", "description": "Water", "quantity": 2,
               "unit_price": {"amount": "3.50", "currency": "EUR"}}
    assert charge(client, opened["id"], minibar) == 201
    due = owed(client, res["id"])
    assert due == res["total_minor"] + 700 - deposit

    clock.now = datetime(2027, 3, 6, 9, 0, tzinfo=UTC)
    refused = client.post(f"/api/v1/reservations/{res['id']}/check-out", json={"invoice": True})
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/billing/balance-owed"
    assert client.get(f"/api/v1/reservations/{res['id']}").json()["status"] == "checked_in"
    pay(client, opened["id"], due, stage="check_out")
    done = client.post(f"/api/v1/reservations/{res['id']}/check-out", json={"invoice": True})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "checked_out"
    pdf = client.get(f"/api/v1/invoices/{done.json()['invoice_id']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    invoice = client.get(f"/api/v1/invoices/{done.json()['invoice_id']}").json()
    assert invoice["total_minor"] == res["total_minor"] + 700
    assert folio(client, res["id"])["departed_at"] is not None

    with stay_sessions() as session:
        sent = session.scalars(select(OutboxMessage)).all()
    assert [(m.channel, m.recipient, m.template) for m in sent] == [
        ("whatsapp", "34600111222", "booking_confirmation")]
    assert "Ana Ruiz" in sent[0].payload["text"]
