# ruff: noqa: RUF001  (full-width punctuation and the multiplication sign are meant)
"""A guest's WhatsApp message through the real webhook becomes a service request for the sender's
in-house stay, acknowledged in the guest's language, once per message; hostile bodies and strangers
change nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.notify.models import OutboxMessage
from cloud.notify.routes import NotifyContext
from cloud.operations.requests.models import ServiceRequest

# the package's one app and database: its modules run on one worker, in order (conftest.py)
pytestmark = pytest.mark.xdist_group("operations-app")

BASE = "/api/v1/properties/hotel"
HOOK = "/api/v1/notify/whatsapp/webhook"
SECRET = "test-app-secret"
PHONE = "34600111222"


@pytest.fixture(scope="module", name="signed")
def _signed(manager: TestClient) -> Iterator[NotifyContext]:
    ctx: NotifyContext = manager.app.services.notify  # type: ignore[attr-defined]
    before = ctx.settings
    ctx.settings = before.model_copy(update={"whatsapp_app_secret": SECRET})
    yield ctx
    ctx.settings = before


@pytest.fixture(scope="module", name="stay")
def _stay(manager: TestClient, signed: NotifyContext) -> str:
    for code, dept, price, names in (
        ("bath-towels", "housekeeping", 0, {"en": "Towels", "es": "Toallas", "zh": "毛巾"}),
        ("sandwich", "food", 900, {"en": "Sandwich", "es": "Bocadillo", "zh": "三明治"}),
    ):
        r = manager.post(
            f"{BASE}/service-types",
            json={
                "code": code,
                "department": dept,
                "price_minor": price,
                "charge_kind": "restaurant",
                "promise_minutes": 30,
                "names": names,
            },
        )
        assert r.status_code in (201, 409), r.text
    r = manager.post(
        f"{BASE}/reservations",
        json={
            "room_type": "std",
            "rate_plan": "flex",
            "arrival": "2027-03-01",
            "departure": "2027-03-03",
            "adults": 1,
            "guest_name": "Lola",
            "guest_phone": f"+{PHONE}",
            "guest_language": "es",
        },
    )
    assert r.status_code == 201, r.text
    stay = str(r.json()["id"])
    assert manager.post(f"/api/v1/reservations/{stay}/check-in").status_code == 200
    return stay


def _body(text: Any, *, sender: Any = PHONE, wamid: Any = "wamid.ABC1") -> bytes:
    message = {"from": sender, "id": wamid, "timestamp": "1803905400", "type": "text", "text": {"body": text}}
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "changes": [
                        {
                            "field": "messages",
                            "value": {"messaging_product": "whatsapp", "messages": [message]},
                        }
                    ]
                }
            ],
        }
    ).encode()


def _post(client: TestClient, body: bytes, *, secret: str = SECRET) -> Any:
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        HOOK, content=body, headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"}
    )


def _requests(sessions: sessionmaker[Session], stay: str) -> list[ServiceRequest]:
    with sessions() as s:
        return list(s.scalars(select(ServiceRequest).where(ServiceRequest.reservation_id == stay)))


def test_a_guests_whatsapp_for_towels_becomes_a_request_once_and_is_acknowledged(
    manager: TestClient, stay: str, sessions: sessionmaker[Session]
) -> None:
    body = _body("Hola, ¿me traen 2 toallas por favor?", wamid="wamid.TOWELS1")
    assert _post(manager, body).status_code == 200
    assert _post(manager, body).status_code == 200  # Meta delivers it again
    made = _requests(sessions, stay)
    assert len(made) == 1, [(r.created_by, r.note) for r in made]
    row = made[0]
    assert (row.source, row.quantity, row.department, row.state) == ("message", 2, "housekeeping", "new")
    assert row.room  # the stay's room, for the board
    board = manager.get(f"{BASE}/service-requests", params={"department": "housekeeping"}).json()
    assert row.id in {b["id"] for b in board}
    with sessions() as s:
        ack = s.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == f"service-request-received:{row.id}")
        )
    assert ack is not None and ack.channel == "whatsapp" and ack.recipient == PHONE and ack.language == "es"
    assert "Toallas ×2" in ack.payload["text"]


HOSTILE = [
    _body("2 toallas", sender="+34600111222"),  # not digits: skipped
    _body("2 toallas", sender="34999999999", wamid="wamid.STRANGER"),  # nobody in house has that number
    _body("toallas y un bocadillo", wamid="wamid.TWO"),  # two services: a person answers
    _body("BAJA", wamid="wamid.STOP"),
    _body({"body": "toallas"}, wamid="wamid.NOTTEXT"),
    _body("toallas" * 5000, wamid="wamid.LONG"),  # cut at 500 characters: 'toallastoallas…' names nothing
    _body("'; DROP TABLE ops_service_requests; -- toallas\u0000", wamid="../../etc/passwd"),
    b'{"entry": [{"changes": [{"value": {"messages": [{"from": 34600111222, "timestamp": "x"}]}}]}]}',
    b"[]",
]


@pytest.mark.parametrize("body", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_or_unclear_messages_make_no_request(
    manager: TestClient, stay: str, sessions: sessionmaker[Session], body: bytes
) -> None:
    before = len(_requests(sessions, stay))
    r = _post(manager, body)
    assert r.status_code == 200, r.text
    made = _requests(sessions, stay)
    if b"DROP TABLE" in body:  # a real request, its note kept as text, the odd id not used as a key
        assert len(made) <= before + 1
        return
    assert len(made) == before


def test_unsigned_or_forged_bodies_are_refused_and_change_nothing(
    manager: TestClient, stay: str, sessions: sessionmaker[Session]
) -> None:
    with sessions() as s:
        before = s.scalar(select(func.count()).select_from(ServiceRequest))
    body = _body("3 toallas", wamid="wamid.FORGED")
    assert manager.post(HOOK, content=body).status_code == 403
    assert _post(manager, body, secret="not-ours").status_code == 403
    assert _post(manager, b"{not json").status_code == 403
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ServiceRequest)) == before


def test_a_priced_service_by_message_is_asked_for_the_stay_and_charged_only_when_done(
    manager: TestClient, stay: str, sessions: sessionmaker[Session]
) -> None:
    assert _post(manager, _body("un bocadillo por favor", wamid="wamid.FOOD1")).status_code == 200
    food = [r for r in _requests(sessions, stay) if r.department == "food"]
    assert len(food) == 1 and food[0].charged_minor == 0
    for step in ("accept", "start"):
        assert manager.post(f"{BASE}/service-requests/{food[0].id}/{step}").status_code == 200
    done = manager.post(f"{BASE}/service-requests/{food[0].id}/finish")
    assert done.status_code == 200 and done.json()["charged_minor"] == 900


TG_HOOK = "/api/v1/notify/telegram/webhook"
TG_SECRET = "tg-secret-token"


def _update(
    update_id: int,
    *,
    text: str | None = None,
    contact: dict[str, Any] | None = None,
    chat: int = 7001,
    sender: int = 7001,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": 1803905400,
        "chat": {"id": chat, "type": "private"},
        "from": {"id": sender, "is_bot": False, "first_name": "Lola"},
    }
    if text is not None:
        message["text"] = text
    if contact is not None:
        message["contact"] = contact
    return {"update_id": update_id, "message": message}


def test_a_telegram_guest_shares_their_number_then_asks_for_towels(
    manager: TestClient, stay: str, signed: NotifyContext, sessions: sessionmaker[Session]
) -> None:
    before = signed.settings
    signed.settings = before.model_copy(update={"telegram_webhook_secret": TG_SECRET})
    try:
        headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
        count = len(_requests(sessions, stay))
        ask = _update(501, text="3 toallas por favor")
        assert manager.post(TG_HOOK, json=ask, headers=headers).json() == {"messages": 1}
        assert len(_requests(sessions, stay)) == count  # an unknown chat asks for nothing
        someone_else = {"phone_number": f"+{PHONE}", "user_id": 9999}  # a contact card of another person
        manager.post(TG_HOOK, json=_update(502, contact=someone_else), headers=headers)
        assert manager.post(TG_HOOK, json=_update(503, text="3 toallas"), headers=headers).status_code == 200
        assert len(_requests(sessions, stay)) == count
        mine = {"phone_number": f"+{PHONE}", "user_id": 7001}
        assert manager.post(TG_HOOK, json=_update(504, contact=mine), headers=headers).status_code == 200
        for _ in range(2):  # delivered twice: one request
            assert (
                manager.post(TG_HOOK, json=_update(505, text="3 toallas"), headers=headers).status_code == 200
            )
        made = [r for r in _requests(sessions, stay) if r.created_by == "telegram:tg505"]
        assert len(made) == 1 and made[0].quantity == 3
        with sessions() as s:
            ack = s.scalar(
                select(OutboxMessage).where(
                    OutboxMessage.dedupe_key == f"service-request-received:{made[0].id}"
                )
            )
        assert ack is not None and ack.channel == "telegram" and ack.recipient == "7001"
        forged = manager.post(
            TG_HOOK, json=_update(506, text="3 toallas"), headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
        )
        assert forged.status_code == 403
        assert manager.post(TG_HOOK, json=_update(507, text="3 toallas")).status_code == 403
        for hostile in (
            {"update_id": "x"},
            {"update_id": 508, "message": "hi"},
            _update(509, text="3 toallas", chat=-100, sender=7001)
            | {
                "message": {
                    "chat": {"id": 7001, "type": "group"},
                    "from": {"id": 7001, "is_bot": False},
                    "date": 1,
                    "text": "3 toallas",
                }
            },
        ):
            assert manager.post(TG_HOOK, json=hostile, headers=headers).status_code == 200
        assert len(_requests(sessions, stay)) == count + 1
    finally:
        signed.settings = before
