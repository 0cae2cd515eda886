"""In house from the phone: the phone key (the stay's signed card, opening the door by the gateway's own
offline decision, revoked like a card) and self check-out (folio, refusal while owed, invoice by email)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.folio import Payer, PaymentMethod, PaymentStage
from cloud.billing.payments import PaymentRequest, record_payment
from cloud.billing.service import balances
from cloud.billing.stay_ledger import folio_of
from cloud.cards import stay_cards
from cloud.catalog.models import Floor, Property, Room
from cloud.commands.models import Command
from cloud.guestweb.models import PhoneKey
from cloud.guestweb.phone_key import NDEF_TYPE
from cloud.keys.storage import KeyDirectory
from cloud.notify.models import OutboxMessage
from cloud.payments.simulated import SimulatedCardProvider
from cloud.reservations.models import Reservation, RoomAllocation, StayCredential
from edge.access.decision import Reason, decide
from edge.access.memory import MemoryAccessState
from edge.access.ports import PublicKey
from edge.access.scope import Door
from edge.clock import TimeReading
from tests.cloud.guestweb.conftest import Clock
from tests.cloud.guestweb.test_precheckin import GUEST, desk, issuer, paid_today  # noqa: F401
from tests.cloud.reservations.conftest import NOW

pytestmark = pytest.mark.slow  # seconds a test: in the full suite, not the fast lane


def checked_in(client: TestClient, desk: TestClient, sessions: sessionmaker[Session],  # noqa: F811
               clock: Clock) -> str:
    """A paid, pre-checked-in stay checked in by QR at the desk; its stay link."""
    link = paid_today(client, sessions)
    client.post(link, data=GUEST)
    code = re.search(r'data-code="([^"]+)"', client.get(link).text)
    assert code is not None
    clock.now = NOW.replace(hour=14)
    assert desk.post("/desk/qr-check-in", data={"code": "POSADA-CHECKIN:" + code.group(1)}).status_code == 303
    with sessions() as s:
        row = s.scalars(select(Command).where(Command.type == "credential.upsert")).first()
        assert row is not None
    with sessions() as s:
        res = s.scalars(select(Reservation)).one()
    signer = client.app.services.guestweb.signer  # type: ignore[attr-defined]
    ref = signer.sign(purpose="stay", reservation_id=res.id, expires_at=res.checkout_due_at)
    return f"/guest/hotel/stay/{ref}"


def test_the_phone_key_opens_the_room_door_as_a_card_does_and_is_revoked_like_one(
    client: TestClient, desk: TestClient, sessions: sessionmaker[Session], clock: Clock,  # noqa: F811
    tmp_path: Path,
) -> None:
    stay = checked_in(client, desk, sessions, clock)
    assert client.post(f"{stay}/key").status_code == 303
    assert client.post(f"{stay}/key").status_code == 303  # a second press shows the same key
    page = client.get(f"{stay}/key")
    assert client.get(f"{stay}/key.png").content.startswith(b"\x89PNG")
    nfc = re.search(r'data-nfc="([0-9a-f]+)"', page.text)
    assert nfc is not None
    with sessions() as s:
        (key,) = s.scalars(select(PhoneKey)).all()
        card = s.get(StayCredential, key.credential_id)
        assert card is not None and card.pending_card is not None
        record = bytes.fromhex(nfc.group(1))
        data = base64.urlsafe_b64decode(card.pending_card + "=" * (-len(card.pending_card) % 4))
        assert record.endswith(NDEF_TYPE + data)  # the NFC record carries the very same bytes
        room = s.scalars(select(Room).join(RoomAllocation, RoomAllocation.room_id == Room.id)).one()
        floor, prop = s.get(Floor, room.floor_id), s.get(Property, room.property_id)
        assert floor is not None and prop is not None
        door = Door(site=prop.number, floor=floor.level, room=room.number)
    gateway = MemoryAccessState()
    for key in KeyDirectory(tmp_path / "keys").load_or_create(now=NOW):
        gateway.put_key(PublicKey(key.key_id, key.public_bytes()))
    reading = TimeReading(at=clock.now, trusted=True, not_before=None, offset_s=0.0)
    assert decide(data, door=door, time=reading, state=gateway).granted
    with sessions.begin() as s:
        res = s.scalars(select(Reservation)).one()
        stay_cards.revoke(s, res=res, card_id=card.id, actor="desk", now=clock.now)
    with sessions() as s:
        revoke = s.scalars(select(Command).where(Command.type == "credential.revoke")).one()
        assert revoke.data["credential_id"] == card.id  # the gateway is told as for a lost card
    assert 'data-nfc' not in client.get(f"{stay}/key").text
    gateway.revoke(card.id, until=None, at=clock.now)
    assert decide(data, door=door, time=reading, state=gateway).reason is Reason.REVOKED


def test_self_check_out_refuses_while_owed_then_releases_the_room_revokes_keys_and_emails_the_invoice(
    client: TestClient, desk: TestClient, sessions: sessionmaker[Session], clock: Clock,  # noqa: F811
) -> None:
    stay = checked_in(client, desk, sessions, clock)  # the deposit (first night) was paid online
    client.post(f"{stay}/key")
    page = client.get(f"{stay}/checkout?lang=es")
    assert page.status_code == 200 and "Noche de habitación" in page.text
    refused = client.post(f"{stay}/checkout?lang=es")
    assert refused.status_code == 409 and "recepción" in refused.text
    with sessions() as s:
        assert s.scalars(select(Reservation)).one().status == "checked_in"
    with sessions.begin() as s:  # the rest is paid at the desk
        res = s.scalars(select(Reservation)).one()
        folio = folio_of(s, res.id)
        assert folio is not None
        owed = balances(s, folio)[Payer.GUEST]
        record_payment(s, folio_id=folio.id, provider=SimulatedCardProvider(), started=None, now=clock.now,
                       request=PaymentRequest(amount=owed, method=PaymentMethod.CASH,
                                              stage=PaymentStage.CHECK_OUT))
    assert client.post(f"{stay}/checkout?lang=es").status_code == 303
    with sessions() as s:
        res = s.scalars(select(Reservation)).one()
        assert res.status == "checked_out"
        assert all(c.revoked_at is not None for c in s.scalars(select(StayCredential)))  # cards and phone key
        invoice = s.scalars(select(OutboxMessage).where(OutboxMessage.template == "email_stay_invoice")).one()
        assert invoice.payload["attachments"][0]["filename"].startswith("invoice-")
        assert invoice.payload["subject"].startswith("Su factura")
        settings = s.scalars(select(Command).where(Command.type == "room.settings")).all()
        assert any(c.data.get("housekeeping") == "dirty" for c in settings)  # the room to housekeeping


def test_what_is_owed_at_check_out_is_paid_online_then_the_guest_checks_out(
    client: TestClient, desk: TestClient, sessions: sessionmaker[Session], clock: Clock,  # noqa: F811
) -> None:
    stay = checked_in(client, desk, sessions, clock)  # the deposit was paid; the rest is owed
    page = client.get(f"{stay}/checkout?lang=es")
    assert 'id="pay-balance"' in page.text
    assert client.post(f"{stay}/checkout/pay?lang=es").status_code == 303  # the demo's checkout pays at once
    with sessions() as s:
        res = s.scalars(select(Reservation)).one()
        folio = folio_of(s, res.id)
        assert folio is not None and balances(s, folio)[Payer.GUEST].minor == 0
        confirmations = s.scalars(select(OutboxMessage).where(
            OutboxMessage.template == "email_booking_confirmed")).all()
        assert len(confirmations) == 1  # the balance is no second booking confirmation
        receipt = s.scalars(select(OutboxMessage)
                            .where(OutboxMessage.template == "email_payment_received")).one()
        assert receipt.payload["attachments"][0]["filename"] == "receipt.pdf"
        assert receipt.payload["subject"].startswith("Su pago a")
    again = client.post(f"{stay}/checkout/pay?lang=es")
    assert again.status_code == 422 and 'id="pay-balance"' not in again.text  # nothing owed: nothing to pay
    assert 'id="pay-balance"' not in client.get(f"{stay}/checkout").text
    assert client.post(f"{stay}/checkout?lang=es").status_code == 303
    with sessions() as s:
        assert s.scalars(select(Reservation)).one().status == "checked_out"
