"""Guest emails through the outbox over SMTP with STARTTLS, read back at a local server: the
confirmation with its receipt in the guest's language, bounces, opt-outs, the hotel's own text."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from cloud.notify.models import Contact, OutboxMessage
from tests.cloud.guestweb.test_pages import details_form
from tests.cloud.guestweb.test_payment import WEBHOOK, Stripe, client, clock, stripe  # noqa: F401
from tests.support.smtp import SmtpServer

CARD = {"method": "card", "card": "4242424242424242"}


def settled_outbox(sessions: sessionmaker[Session], *, timeout_s: float = 15.0) -> list[OutboxMessage]:
    """The email rows once the app's own outbox loop has dealt with every due one."""
    deadline = time.monotonic() + timeout_s
    while True:
        with sessions() as s:
            rows = list(s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")))
        due = [r for r in rows if r.status in ("pending", "sending") and r.template != "email_pre_arrival"]
        if not due or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def pay_in(client: TestClient, stripe: Stripe, lang: str) -> str:  # noqa: F811
    stay = client.post(f"/guest/hotel/book?lang={lang}", data=details_form(client, lang=lang))
    path = stay.headers["location"].split("?")[0]
    page = client.post(f"{path}/pay?lang={lang}").headers["location"].removeprefix("http://stripe.test")
    stripe.client.post(page, data=CARD)
    return path


def test_the_confirmation_arrives_in_spanish_over_starttls_with_the_receipt(
    client: TestClient, stripe: Stripe, sessions: sessionmaker[Session], smtp: SmtpServer  # noqa: F811
) -> None:
    pay_in(client, stripe, "es")
    rows = {r.template: r.status for r in settled_outbox(sessions)}
    assert rows == {"email_booking_confirmed": "sent", "email_pre_arrival": "pending"}  # that waits its day
    (mail,) = smtp.mailbox.to("ana@example.com")
    assert smtp.mailbox.tls_seen == [True]
    assert mail["Subject"] == "Su reserva en Posada Demo Hotel está confirmada"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and "Hola Ana Ruiz" in body.get_content()
    link = re.search(r"http://testserver/guest/hotel/precheckin/\S+", body.get_content())
    assert link is not None
    (receipt,) = list(mail.iter_attachments())
    assert receipt.get_filename() == "receipt.pdf" and receipt.get_content().startswith(b"%PDF")
    assert mail["List-Unsubscribe"].startswith("<http://testserver/guest/hotel/optout/")


def test_a_bounce_is_recorded_on_the_dead_message(
    client: TestClient, stripe: Stripe, sessions: sessionmaker[Session], smtp: SmtpServer  # noqa: F811
) -> None:
    smtp.mailbox.bounce.add("ana@example.com")
    pay_in(client, stripe, "en")
    (row,) = [r for r in settled_outbox(sessions) if r.template == "email_booking_confirmed"]
    assert row.status == "dead" and row.last_error is not None and row.last_error.startswith("bounced: 550")
    assert smtp.mailbox.messages == []


def test_a_guest_who_unsubscribed_gets_no_more_email(
    client: TestClient, stripe: Stripe, sessions: sessionmaker[Session], smtp: SmtpServer  # noqa: F811
) -> None:
    pay_in(client, stripe, "en")
    sent = [r for r in settled_outbox(sessions) if r.template == "email_booking_confirmed"]
    optout = sent[0].payload["unsubscribe"].removeprefix("http://testserver")
    assert client.get(optout).status_code == 200
    with sessions() as s:
        assert s.get(Contact, ("email", "ana@example.com")) is None  # opening the link changes nothing
    assert client.post(optout).status_code == 200
    with sessions() as s:
        contact = s.get(Contact, ("email", "ana@example.com"))
        assert contact is not None and contact.opted_out
        s.execute(update(OutboxMessage).values(status="pending", next_attempt_at=datetime.now(UTC)))
        s.commit()  # every email due again: each one is now suppressed, none sent
    rows = settled_outbox(sessions)
    assert {r.status for r in rows} == {"suppressed"} and len(smtp.mailbox.messages) == 1


def test_a_long_address_gets_its_email_and_can_unsubscribe(
    client: TestClient, stripe: Stripe, sessions: sessionmaker[Session], smtp: SmtpServer  # noqa: F811
) -> None:
    address = "ana.maria.ruiz.de.la.fuente@reservas." + "a" * 40 + ".example.com"  # 89 characters
    stay = client.post("/guest/hotel/book?lang=en", data={**details_form(client), "guest_email": address})
    path = stay.headers["location"].split("?")[0]
    page = client.post(f"{path}/pay?lang=en").headers["location"].removeprefix("http://stripe.test")
    stripe.client.post(page, data=CARD)
    sent = [r for r in settled_outbox(sessions) if r.template == "email_booking_confirmed"]
    assert [r.status for r in sent] == ["sent"] and len(smtp.mailbox.to(address)) == 1
    assert client.post(sent[0].payload["unsubscribe"].removeprefix("http://testserver")).status_code == 200
    with sessions() as s:
        contact = s.get(Contact, ("email", address))
        assert contact is not None and contact.opted_out
