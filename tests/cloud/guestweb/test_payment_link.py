"""The desk's payment link: a booking made at the desk is paid online by the guest through the same
checkout and webhook; the link never cancels the booking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.roles import Role
from cloud.billing.models import Payment
from cloud.guestweb.booking import release_due
from cloud.guestweb.models import GuestHold
from cloud.notify.models import OutboxMessage
from cloud.reservations.models import Reservation
from tests.cloud.guestweb.conftest import Clock
from tests.cloud.guestweb.test_payment import Stripe, client, stripe  # noqa: F401
from tests.cloud.guestweb.test_payment import clock as clock
from tests.cloud.reservations.apps import client_for

pytestmark = pytest.mark.slow  # seconds a test: in the full suite, not the fast lane

BOOKING = {"room_type": "std", "rate_plan": "flex", "arrival": "2027-03-11", "departure": "2027-03-14",
           "adults": 2, "guest_name": "Ana Ruiz", "guest_email": "ana@example.com", "guest_language": "es"}


@pytest.fixture
def desk(sessions: sessionmaker[Session], clock: Clock) -> Iterator[TestClient]:
    with client_for(sessions, clock=clock, role=Role.FRONT_DESK) as c:
        yield c


def test_a_desk_booking_is_paid_online_through_the_link_the_desk_sent(
    client: TestClient, desk: TestClient, stripe: Stripe, sessions: sessionmaker[Session],  # noqa: F811
    clock: Clock,
) -> None:
    booked = desk.post("/api/v1/properties/hotel/reservations", json=BOOKING)
    assert booked.status_code == 201
    rid = booked.json()["id"]
    sent = desk.post(f"/api/v1/guest/reservations/{rid}/payment-link", json={})
    assert sent.status_code == 201, sent.text
    link = sent.json()["link"].removeprefix("http://testserver")
    assert sent.json()["amount_minor"] == booked.json()["deposit_required_minor"]
    with sessions() as s:
        mail = s.scalars(select(OutboxMessage).where(OutboxMessage.template == "email_payment_link")).one()
        assert mail.payload["subject"].startswith("Su pago") and sent.json()["link"] in mail.payload["text"]
    answer = client.post(link.replace("?", "/pay?"))
    assert answer.status_code == 303, answer.text[-600:]
    page = answer.headers["location"].removeprefix("http://stripe.test")
    stripe.client.post(page, data={"method": "wechat_pay"})
    stripe.client.post(page.replace("/pay/", "/authorize/"), data={"method": "wechat_pay"})
    with sessions() as s:
        paid = s.scalars(select(Payment)).one()
        assert paid.status == "succeeded" and paid.amount_minor == sent.json()["amount_minor"]


def test_an_unpaid_link_expires_without_cancelling_the_desks_booking(
    desk: TestClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    rid = desk.post("/api/v1/properties/hotel/reservations", json=BOOKING).json()["id"]
    assert desk.post(f"/api/v1/guest/reservations/{rid}/payment-link", json={"hours": 1}).status_code == 201
    with sessions.begin() as s:
        assert release_due(s, ledger=None, now=clock.now + timedelta(hours=2)) == 0
    with sessions() as s:
        assert s.get(Reservation, rid).status == "booked"  # type: ignore[union-attr]
        assert s.get(GuestHold, rid).releases is False  # type: ignore[union-attr]


def test_a_link_for_an_amount_out_of_range_is_refused_and_leaves_no_hold(
    desk: TestClient, sessions: sessionmaker[Session]
) -> None:
    rid = desk.post("/api/v1/properties/hotel/reservations", json=BOOKING).json()["id"]
    for amount in (0, -1, 10**12 + 1, 2**63, 2**70, 1.5, "twelve"):
        sent = desk.post(f"/api/v1/guest/reservations/{rid}/payment-link", json={"amount_minor": amount})
        assert sent.status_code == 422, (amount, sent.status_code, sent.text)
    with sessions() as s:
        assert s.get(GuestHold, rid) is None
