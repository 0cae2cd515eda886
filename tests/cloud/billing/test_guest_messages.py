from __future__ import annotations

import base64
import io
from datetime import UTC, datetime, timedelta

import zxingcpp
from PIL import Image
from sqlalchemy import select
from sqlalchemy.engine import Engine

from cloud.billing.folio import ChargeKind
from cloud.billing.guest_messages import on_booking_confirmed, run_reminders
from cloud.billing.service import (
    ChargeRequest,
    FolioSpec,
    GuestInfo,
    mark_departed,
    open_folio,
    post_charge,
)
from cloud.billing.settings import BillingSettings
from cloud.billing.tax import TaxPolicy
from cloud.core.db import make_sessionmaker
from cloud.core.money import Money
from cloud.notify.models import OutboxMessage
from cloud.notify.settings import NotifySettings
from cloud.payments.emvqr import parse_payload

BILLING = BillingSettings(qr_account_gui="mx.org.banxico.codi", qr_account_id="0121800012")
NOTIFY = NotifySettings(telegram_front_desk_chats={"centro": "-5001"},
                        site_timezones={"centro": "America/Mexico_City"})
ARRIVAL = datetime(2026, 12, 1, 21, tzinfo=UTC)
CHECKOUT = datetime(2026, 12, 3, 18, tzinfo=UTC)  # 12:00 in Mexico City


def _folio(engine: Engine, language: str = "es") -> str:
    with make_sessionmaker(engine).begin() as session:
        folio = open_folio(session, FolioSpec(
            site="centro", currency="MXN",
            guest=GuestInfo("Ana", language, "+5215512345678"),
            arrival_at=ARRIVAL, checkout_at=CHECKOUT), now=ARRIVAL - timedelta(days=10))
        post_charge(session, folio_id=folio.id, request=ChargeRequest(
            ChargeKind.ROOM_NIGHT, "", Money(200000, "MXN"), quantity=2),
            policy=TaxPolicy(inclusive=False), now=ARRIVAL)
        return folio.id


def _outbox(engine: Engine) -> list[OutboxMessage]:
    with make_sessionmaker(engine)() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at,
                                                                   OutboxMessage.dedupe_key)))


def test_booking_confirmation_carries_text_in_the_guest_language_and_a_payable_qr(
    engine: Engine,
) -> None:
    folio = _folio(engine, "zh")
    with make_sessionmaker(engine).begin() as session:
        assert on_booking_confirmed(session, folio_id=folio, amount_due=Money(100000, "MXN"),
                                    hotel="Posada Centro", billing=BILLING, now=ARRIVAL)
        assert not on_booking_confirmed(session, folio_id=folio, amount_due=Money(1, "MXN"),
                                        hotel="Posada Centro", billing=BILLING, now=ARRIVAL)
    [message] = _outbox(engine)
    assert (message.channel, message.recipient, message.language) == (
        "whatsapp", "5215512345678", "zh")
    assert message.payload["text"].startswith("Ana您好")
    assert "Posada Centro" in message.payload["text"] and folio in message.payload["text"]
    png = base64.b64decode(message.payload["image_png_b64"])
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    qr = parse_payload(code.text)
    assert qr.amount == Money(100000, "MXN") and qr.bill_number == folio[:25]


def test_reminders_run_again_and_again_queue_each_once(engine: Engine) -> None:
    folio = _folio(engine)
    with make_sessionmaker(engine).begin() as session:
        for _ in range(3):
            run_reminders(session, now=ARRIVAL - timedelta(hours=5), billing=BILLING,
                          notify=NOTIFY)
        run_reminders(session, now=CHECKOUT - timedelta(hours=1), billing=BILLING,
                      notify=NOTIFY)
    keys = [m.dedupe_key for m in _outbox(engine)]
    assert keys == [f"reminder:{folio}:before_arrival", f"reminder:{folio}:checkout"]
    checkout = _outbox(engine)[1].payload["text"]
    assert "a las 12:00" in checkout and "Saldo: 4.000,00\xa0MXN" in checkout


def test_unpaid_after_departure_reminds_guest_then_escalates_to_front_desk(
    engine: Engine,
) -> None:
    folio = _folio(engine)
    with make_sessionmaker(engine).begin() as session:
        mark_departed(session, folio_id=folio, at=CHECKOUT)
    for hours in (24, 72, 73):
        with make_sessionmaker(engine).begin() as session:
            run_reminders(session, now=CHECKOUT + timedelta(hours=hours), billing=BILLING,
                          notify=NOTIFY)
    messages = _outbox(engine)
    assert [(m.channel, m.dedupe_key.split(":", 2)[2]) for m in messages] == [
        ("whatsapp", "after_departure:1"), ("whatsapp", "after_departure:2"),
        ("telegram", "escalation")]
    desk = next(m for m in messages if m.channel == "telegram")
    assert desk.recipient == "-5001" and "<b>Unpaid balance</b>: Ana" in desk.payload["text"]
