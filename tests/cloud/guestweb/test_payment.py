"""Online payment through the Stripe stand-in: a hosted checkout per hold, settled only by the
signed webhook, once; 3-D Secure and Alipay in the same integration; refunds through Stripe."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.models import Payment
from cloud.billing.payments import refund_payment
from cloud.core.money import Money
from cloud.guestweb.booking import release_due
from cloud.guestweb.models import GuestHold
from cloud.notify.models import OutboxMessage
from cloud.payments.stripe import StripeProvider, sign_webhook
from cloud.payments.stripe_checkout import StripeCheckout
from cloud.reservations.models import Reservation
from tests.cloud.guestweb.conftest import WEBHOOK_SECRET, Clock, RealClock, make_app
from tests.cloud.guestweb.test_pages import details_form
from tests.support.stripe_standin import SECRET_KEY, THREE_DS_CARD, StripeStandIn
from tests.support.stripe_standin import make_app as standin_app

pytestmark = pytest.mark.slow  # seconds a test: in the full suite, not the fast lane

WEBHOOK = "/api/v1/guest/payments/stripe/webhook"


class Stripe:
    def __init__(self, standin: StripeStandIn, client: TestClient) -> None:
        self.standin, self.client = standin, client


@pytest.fixture
def clock() -> Clock:
    return RealClock()  # Stripe checks expiries against real time


@pytest.fixture
def stripe() -> Iterator[Stripe]:
    standin = StripeStandIn(webhook_secret=WEBHOOK_SECRET)
    with TestClient(standin_app(standin), base_url="http://stripe.test", follow_redirects=False) as client:
        yield Stripe(standin, client)


@pytest.fixture
def client(sessions: sessionmaker[Session], clock: Clock, tmp_path: Path, stripe: Stripe,
           request: pytest.FixtureRequest) -> Iterator[TestClient]:
    smtp = request.getfixturevalue("smtp") if "smtp" in request.fixturenames else None
    app = make_app(sessions, clock, tmp_path, smtp=smtp, stripe_secret_key=SECRET_KEY,
                   stripe_api_base="http://stripe.test")
    ctx = app.services.guestweb
    assert ctx is not None
    ctx.checkout = StripeCheckout(stripe.client, secret_key=SECRET_KEY, base_url="http://stripe.test")
    app.services.billing.provider = StripeProvider(stripe.client, secret_key=SECRET_KEY,
                                                   base_url="http://stripe.test")
    with TestClient(app, follow_redirects=False) as c:
        stripe.standin.deliver = lambda payload, headers: c.post(WEBHOOK, content=payload,
                                                                  headers=headers).status_code
        yield c
    app.services.engine.dispose()


def booked(client: TestClient) -> str:
    """Book on the public pages; the stay page's path."""
    answer = client.post("/guest/hotel/book", data=details_form(client))
    assert answer.status_code == 303
    return answer.headers["location"].split("?")[0]


def to_checkout(client: TestClient, stay: str) -> str:
    answer = client.post(f"{stay}/pay")
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].removeprefix("http://stripe.test")


def payment(sessions: sessionmaker[Session]) -> Payment | None:
    with sessions() as s:
        return s.scalars(select(Payment)).one_or_none()


def settled(sessions: sessionmaker[Session]) -> Payment:
    found = payment(sessions)
    assert found is not None and found.status == "succeeded"
    return found


def hold(sessions: sessionmaker[Session]) -> GuestHold:
    with sessions() as s:
        return s.scalars(select(GuestHold)).one()


def test_card_deposit_is_pending_until_the_signed_webhook_settles_it(
    client: TestClient, stripe: Stripe, sessions: sessionmaker[Session]
) -> None:
    stay = booked(client)
    page = to_checkout(client, stay)
    sent = stripe.standin.requests[-1][2]
    assert {sent["payment_method_types[0]"], sent["payment_method_types[1]"],
            sent["payment_method_types[2]"]} == {"card", "alipay", "wechat_pay"}
    assert payment(sessions) is None and hold(sessions).state == "held"
    done = stripe.client.post(page, data={"method": "card", "card": "4242424242424242"})
    assert done.status_code == 303 and done.headers["location"].startswith("http://testserver" + stay)
    paid = settled(sessions)
    assert paid.provider_ref is not None and paid.provider_ref.startswith("pi_test_")
    assert paid.amount_minor == hold(sessions).amount_minor and hold(sessions).state == "paid"
    assert 'class="confirmed"' in client.get(stay).text


def test_alipay_pays_through_the_same_checkout(client: TestClient, stripe: Stripe,
                                               sessions: sessionmaker[Session]) -> None:
    page = to_checkout(client, booked(client))
    assert stripe.client.post(page, data={"method": "alipay"}).headers["location"].startswith("/alipay/")
    assert payment(sessions) is None
    stripe.client.post(page.replace("/pay/", "/authorize/"), data={"method": "alipay"})
    assert settled(sessions) and hold(sessions).state == "paid"


def test_a_card_asking_for_3d_secure_settles_only_after_authentication(
    client: TestClient, stripe: Stripe, sessions: sessionmaker[Session]
) -> None:
    page = to_checkout(client, booked(client))
    challenge = stripe.client.post(page, data={"method": "card", "card": THREE_DS_CARD})
    assert challenge.headers["location"].startswith("/3ds/")
    assert payment(sessions) is None and not stripe.standin.events
    stripe.client.post(page.replace("/pay/", "/authorize/"), data={"method": "card"})
    assert settled(sessions)


def test_a_double_submitted_payment_form_opens_one_checkout(
    client: TestClient, stripe: Stripe, sessions: sessionmaker[Session]
) -> None:
    stay = booked(client)
    assert to_checkout(client, stay) == to_checkout(client, stay)
    assert len(stripe.standin.sessions) == 1 and payment(sessions) is None
    with sessions() as s:
        assert s.scalars(select(GuestHold)).one().checkout_session in stripe.standin.sessions


def test_a_webhook_with_a_bad_signature_is_refused_and_changes_nothing(
    client: TestClient, stripe: Stripe, sessions: sessionmaker[Session]
) -> None:
    page = to_checkout(client, booked(client))
    cs = stripe.standin.sessions[page.rsplit("/", 1)[1]]
    forged = json.dumps({"id": "evt_forged", "type": "checkout.session.completed", "data": {"object": {
        **cs, "payment_status": "paid", "payment_intent": "pi_forged"}}}).encode()
    header = sign_webhook(forged, secret="whsec_someone_else", timestamp=int(time.time()))
    answer = client.post(WEBHOOK, content=forged, headers={"Stripe-Signature": header})
    assert answer.status_code == 400 and "signature" in answer.json()["detail"]
    assert payment(sessions) is None and hold(sessions).state == "held"


def test_a_replayed_webhook_changes_nothing(client: TestClient, stripe: Stripe,
                                           sessions: sessionmaker[Session]) -> None:
    page = to_checkout(client, booked(client))
    stripe.client.post(page, data={"method": "card", "card": "4242424242424242"})
    payload, headers = stripe.standin.events[-1]
    with sessions.begin() as s:  # as if the hold were open again: a replay still posts nothing
        s.scalars(select(GuestHold)).one().state = "held"
    again = client.post(WEBHOOK, content=payload, headers=headers)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    with sessions() as s:
        assert len(s.scalars(select(Payment)).all()) == 1
    stale = sign_webhook(payload, secret=WEBHOOK_SECRET, timestamp=int(time.time()) - 3600)
    late = client.post(WEBHOOK, content=payload, headers={"Stripe-Signature": stale})
    assert late.status_code == 400 and "tolerance" in late.json()["detail"]


def test_an_expired_hold_is_released_without_fee_and_cannot_be_paid(
    client: TestClient, clock: Clock, stripe: Stripe, sessions: sessionmaker[Session]
) -> None:
    stay = booked(client)
    clock.now += timedelta(minutes=31)
    with sessions.begin() as s:
        assert release_due(s, ledger=None, now=clock.now) == 1
    with sessions() as s:
        res = s.scalars(select(Reservation)).one()
        assert res.status == "cancelled" and res.cancellation_fee_minor == 0
    answer = client.post(f"{stay}/pay?lang=es")
    assert answer.status_code == 409 and "Se agotó el tiempo" in answer.text
    assert not stripe.standin.sessions


def test_a_settled_payment_is_refunded_through_stripe(client: TestClient, stripe: Stripe,
                                                     sessions: sessionmaker[Session], clock: Clock) -> None:
    page = to_checkout(client, booked(client))
    stripe.client.post(page, data={"method": "card", "card": "4242424242424242"})
    paid = settled(sessions)
    provider = StripeProvider(stripe.client, secret_key=SECRET_KEY, base_url="http://stripe.test")
    with sessions.begin() as s:
        refund = refund_payment(s, payment_id=paid.id, amount=Money(1000, paid.currency), provider=provider,
                                idempotency_key="r1", now=clock.now)
        assert refund.status == "succeeded" and refund.provider_ref.startswith("re_test_")
    path, _headers, form = stripe.standin.requests[-1]
    assert path == "/v1/refunds" and form["payment_intent"] == paid.provider_ref


def test_the_guest_cancels_in_time_and_gets_the_deposit_back_through_stripe(
    client: TestClient, stripe: Stripe, sessions: sessionmaker[Session]
) -> None:
    stay = booked(client)
    stripe.client.post(to_checkout(client, stay), data={"method": "card", "card": "4242424242424242"})
    answer = client.post(f"{stay}/cancel?lang=es")
    assert answer.status_code == 303
    with sessions() as s:
        res = s.scalars(select(Reservation)).one()
        assert res.status == "cancelled" and res.cancellation_fee_minor == 0  # free until 48 h before
        refund = s.scalars(select(Payment).where(Payment.direction == "refund")).one()
        assert refund.status == "succeeded" and refund.amount_minor == res.deposit_required_minor
        mail = s.scalars(select(OutboxMessage).where(
            OutboxMessage.template == "email_booking_cancelled")).one()
        assert mail.payload["subject"] == "Your booking at Posada Demo Hotel is cancelled"
    assert stripe.standin.requests[-1][0] == "/v1/refunds"
    again = client.post(f"{stay}/cancel?lang=es")
    assert again.status_code == 409  # cancelled once: nothing changes
