"""Inventory on the real app: minibar consumption charged to the stay, a reorder raised by itself
when stock crosses the minimum and its email read back at a local SMTP server, the delivery
received against the order and booked as an expense; negative stock refused, nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cloud.notify.email import EmailSender
from cloud.notify.outbox import OutboxWorker, RetryPolicy
from tests.cloud.operations.conftest import NOW, Clock, book_and_check_in
from tests.support.smtp import SmtpServer, smtp_server

# the package's one app and database: its modules run on one worker, in order (conftest.py)
pytestmark = pytest.mark.xdist_group("operations-app")

BASE = "/api/v1/properties/hotel"


@pytest.fixture(scope="module", name="smtp")
def _smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    with smtp_server(tmp_path_factory.mktemp("smtp")) as server:
        yield server


@pytest.fixture(scope="module", name="water")
def _water(manager: TestClient) -> str:
    for path, body in (
        (
            "suppliers",
            {"code": "aguas", "name": "Aguas del Sur", "email": "orders@aguas.test", "lead_days": 2},
        ),
        ("store-rooms", {"code": "main", "name": "Main store"}),
    ):
        assert manager.post(f"{BASE}/{path}", json=body).status_code == 201
    r = manager.post(
        f"{BASE}/items",
        json={
            "store": "main",
            "sku": "water-50",
            "name": "Mineral water 50 cl",
            "category": "minibar",
            "minimum": 10,
            "maximum": 48,
            "pack_size": 12,
            "supplier": "aguas",
            "pack_price_minor": 480,
            "sale_price_minor": 300,
        },
    )
    assert r.status_code == 201, r.text
    item = str(r.json()["id"])
    assert (
        manager.post(f"{BASE}/items/{item}/moves", json={"kind": "received", "quantity": 12}).status_code
        == 201
    )
    return item


def _item(client: TestClient, item: str) -> dict[str, Any]:
    return next(i for i in client.get(f"{BASE}/items").json() if i["id"] == item)


def test_negative_stock_is_refused_and_nothing_changes(manager: TestClient, water: str) -> None:
    before, orders = _item(manager, water), manager.get(f"{BASE}/purchase-orders").json()
    r = manager.post(
        f"{BASE}/items/{water}/moves", json={"kind": "wasted", "quantity": before["on_hand"] + 1}
    )
    assert r.status_code == 409 and r.json()["reason"] == "negative"
    assert (
        manager.post(f"{BASE}/items/{water}/moves", json={"kind": "issued", "quantity": -1}).status_code
        == 422
    )
    assert _item(manager, water) == before and manager.get(f"{BASE}/purchase-orders").json() == orders


def test_minibar_consumption_is_charged_crossing_the_minimum_orders_by_email_and_the_order_is_received(
    manager: TestClient, water: str, smtp: SmtpServer, sessions: sessionmaker[Session], clock: Clock
) -> None:
    stay = book_and_check_in(manager)
    r = manager.post(
        f"{BASE}/items/{water}/moves",
        json={"kind": "consumed", "quantity": 2, "reservation_id": stay, "place": "101"},
    )
    assert r.status_code == 201 and r.json()["purchase_order_id"] is None  # 10 left: at the minimum
    minibar = [
        c
        for c in manager.get(f"/api/v1/reservations/{stay}/folio").json()["charges"]
        if c["kind"] == "minibar"
    ]
    assert len(minibar) == 1
    r = manager.post(
        f"{BASE}/items/{water}/moves", json={"kind": "consumed", "quantity": 1, "reservation_id": stay}
    )
    order_id = r.json()["purchase_order_id"]
    assert order_id is not None
    (order,) = manager.get(f"{BASE}/purchase-orders").json()
    assert order["status"] == "sent" and order["total_minor"] == 4 * 480  # 9 + 4 packs of 12 = 57 >= 48
    assert _item(manager, water)["on_order"] == 48
    sender = EmailSender(
        host=smtp.host, port=smtp.port, sender="Hotel <stores@hotel.test>", ca_file=smtp.ca_file
    )
    worker = OutboxWorker(sessions, {"email": sender}, policy=RetryPolicy(), clock=clock)
    worker.run_once()
    (mail,) = smtp.mailbox.to("orders@aguas.test")
    assert order["number"] in mail["Subject"] and "water-50" in mail.get_content()
    _receive(manager, water, order)


def _receive(manager: TestClient, water: str, order: dict[str, Any]) -> None:
    """The delivery fills the store against the order and books the order's cost as an expense."""
    on_hand = _item(manager, water)["on_hand"]
    r = manager.post(f"{BASE}/purchase-orders/{order['id']}/receive")
    assert r.status_code == 200 and r.json()["status"] == "received"
    assert _item(manager, water)["on_hand"] == on_hand + 48 and _item(manager, water)["on_order"] == 0
    assert manager.post(f"{BASE}/purchase-orders/{order['id']}/receive").status_code == 409
    day = NOW.date().isoformat()
    expenses = manager.get(
        "/api/v1/reports/hotel/expenses", params={"start": day, "end": "2027-03-02"}
    ).json()
    assert [(e["category"], e["reference"], e["amount_minor"]) for e in expenses] == [
        ("supplies", order["number"], 1920)
    ]


def test_an_item_whose_minimum_is_not_below_its_maximum_is_refused(manager: TestClient, water: str) -> None:
    r = manager.post(
        f"{BASE}/items",
        json={
            "store": "main",
            "sku": "soap",
            "name": "Soap",
            "category": "amenities",
            "minimum": 20,
            "maximum": 20,
            "pack_size": 10,
        },
    )
    assert r.status_code == 422
    assert all(i["sku"] != "soap" for i in manager.get(f"{BASE}/items").json())


@pytest.mark.parametrize(
    ("lang", "word"), [("en", "On hand"), ("es", "En existencia"), ("zh-Hans", "现有库存")]
)
def test_the_storekeeper_page_lists_stock_in_each_language(
    manager: TestClient, water: str, lang: str, word: str
) -> None:
    page = manager.get("/operations/inventory", headers={"Accept-Language": lang})
    assert page.status_code == 200 and word in page.text and 'data-sku="water-50"' in page.text


def test_a_move_from_the_page_that_would_go_negative_shows_the_reason(
    manager: TestClient, water: str
) -> None:
    before = _item(manager, water)
    r = manager.post(
        f"/operations/inventory/hotel/items/{water}", data={"kind": "wasted", "quantity": "100000"}
    )
    assert r.status_code == 409 and "not that much in stock" in r.text
    assert _item(manager, water) == before
