"""A stay from booking to invoice through the real app: folio, deposit, nights, extras, check-out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.notify.models import OutboxMessage
from tests.cloud.billing.stay_support import (
    Clock,
    book,
    charge,
    folio,
    owed,
    pay,
)

pytestmark = pytest.mark.slow  # seconds a test: in the full suite, not the fast lane


def test_a_stay_walks_from_booking_to_its_invoice_pdf(
    desk: TestClient, stay_clock: Clock, stay_sessions: sessionmaker[Session]
) -> None:
    res = book(desk)
    deposit = res["deposit_required_minor"]
    assert deposit == res["nights"][0]["amount_minor"] > 0  # flex: the first night
    opened = folio(desk, res["id"])
    assert opened["guest_phone"] == "+34600111222" and opened["status"] == "open"
    assert opened["checkout_at"].startswith("2027-03-06T10:00")  # 11:00 in Madrid
    pay(desk, opened["id"], deposit, stage="deposit")
    assert owed(desk, res["id"]) == -deposit  # paid ahead: a credit

    stay_clock.now = datetime(2027, 3, 3, 15, 0, tzinfo=UTC)
    assert desk.post(f"/api/v1/reservations/{res['id']}/check-in").status_code == 200
    nights = [c for c in folio(desk, res["id"])["charges"] if c["kind"] == "room_night"]
    assert [c["gross_minor"] for c in nights] == [n["amount_minor"] for n in res["nights"]]
    minibar = {"kind": "minibar", "description": "Water", "quantity": 2,
               "unit_price": {"amount": "3.50", "currency": "EUR"}}
    assert charge(desk, opened["id"], minibar) == 201
    due = owed(desk, res["id"])
    assert due == res["total_minor"] + 700 - deposit

    stay_clock.now = datetime(2027, 3, 6, 9, 0, tzinfo=UTC)
    refused = desk.post(f"/api/v1/reservations/{res['id']}/check-out", json={"invoice": True})
    assert refused.status_code == 409
    assert refused.json()["type"] == "/problems/billing/balance-owed"
    assert desk.get(f"/api/v1/reservations/{res['id']}").json()["status"] == "checked_in"
    pay(desk, opened["id"], due, stage="check_out")
    done = desk.post(f"/api/v1/reservations/{res['id']}/check-out", json={"invoice": True})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "checked_out"
    pdf = desk.get(f"/api/v1/invoices/{done.json()['invoice_id']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    invoice = desk.get(f"/api/v1/invoices/{done.json()['invoice_id']}").json()
    assert invoice["total_minor"] == res["total_minor"] + 700
    assert folio(desk, res["id"])["departed_at"] is not None

    with stay_sessions() as session:
        sent = session.scalars(select(OutboxMessage)).all()
    assert sorted((m.channel, m.recipient, m.template) for m in sent) == [
        ("whatsapp", "34600111222", "booking_confirmation"),
        ("whatsapp", "34600111222", "survey_mid_stay"),  # three nights: a check the morning after arrival
        ("whatsapp", "34600111222", "survey_post_stay")]
    confirmation = next(m for m in sent if m.template == "booking_confirmation")
    assert "Ana Ruiz" in confirmation.payload["text"] and res["id"] in confirmation.payload["text"]
