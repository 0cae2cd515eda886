"""The cloud's own front-desk screens served by the node from its replica: today's arrivals and
departures and a stay's check-out page (folio, extras, cash with change, card, check-out) render
the portal's templates, and their forms record the desk's operations in the node's outbox; a
refusal reads as the cloud's page words it and records nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mqtt.node_messages import ChargePosted, CheckedOut, CheckIn, PaymentTaken
from node.app import NodeSettings, PropertyNode
from tests.node.test_pages import PASSWORD, _replica, _token, desk_app, sign_in


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[TestClient, PropertyNode]]:
    node = PropertyNode(
        NodeSettings(mqtt_url="mqtt://127.0.0.1:9", site="hotel", node="desk-pc", data_dir=tmp_path)
    )
    node.status.replica_received(_replica(node))
    with TestClient(desk_app(node)) as client:
        assert sign_in(client, "ana", PASSWORD) == 200
        yield client, node
    node.outbox.close()


def _keyed(page: str) -> dict[str, str]:
    """The check-out form's session token and one-time key, as the page gave them."""
    key = re.search(r'name="key" value="([0-9A-Z]{26})"', page)
    assert key is not None
    return {"csrf_token": _token(page), "key": key.group(1)}


def _ops(node: PropertyNode) -> list[type]:
    return [type(op) for op in node.outbox.pending_operations()]


def test_today_and_the_check_out_page_are_the_portals_with_the_nodes_data(
    desk: tuple[TestClient, PropertyNode],
) -> None:
    client, node = desk
    today = client.get("/reservations").text
    assert 'id="arrivals-h"' in today and 'id="departures-h"' in today  # the cloud's today.html
    assert "Ana Pérez" in today and 'action="/reservations/b1/check-in"' in today
    assert 'id="sync"' in today and "Offline since" in today  # the node's banner on every page
    assert 'href="/reservations/chart' not in today  # the node's tabs: no tape chart here
    unkeyed = client.post(
        "/reservations/b1/check-in", data={"csrf_token": _token(today)}, follow_redirects=False
    )
    assert (unkeyed.status_code, unkeyed.headers["location"]) == (303, "/?error=repeated")
    assert "reload the page" in client.get(unkeyed.headers["location"]).text and _ops(node) == []
    answer = client.post("/reservations/b1/check-in", data=_keyed(today), follow_redirects=False)
    assert answer.status_code == 303 and _ops(node) == [CheckIn]
    again = client.post("/reservations/b1/check-in", data=_keyed(today), follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, "/reservations")  # a double click
    assert _ops(node) == [CheckIn]
    listed = client.get("/reservations").text  # still today's arrival, now in house, as in the cloud
    assert "Ana Pérez" in listed and "checked in" in listed and "/check-in" not in listed
    page = client.get("/reservations/b1/checkout").text
    assert 'id="checkout-h"' in page and 'id="folio-lines"' in page  # the cloud's checkout.html
    assert page.count("Room night") == 2 and "€100.00" in page
    assert re.search(r'id="guest-balance"><strong>€200.00', page)

    refused = client.post("/reservations/b1/checkout/finish", data=_keyed(page))
    assert refused.status_code == 409 and "The guest still owes €200.00" in refused.text
    assert _ops(node) == [CheckIn]  # nothing recorded

    extra = client.post(
        "/reservations/b1/checkout/charge",
        data={
            **_keyed(refused.text),
            "kind": "minibar",
            "description": "Water",
            "quantity": "2",
            "unit_price": "3.75",
            "currency": "EUR",
        },
    )
    assert "Charge added to the folio." in extra.text and "Minibar · Water" in extra.text
    assert re.search(r'id="guest-balance"><strong>€207.50', extra.text)
    bad = client.post(
        "/reservations/b1/checkout/payment",
        data={
            **_keyed(extra.text),
            "method": "cash",
            "amount": "207.50",
            "tendered": "100",
            "currency": "EUR",
        },
    )
    assert bad.status_code == 422 and "The cash tendered is less than the amount to pay." in bad.text
    cash = {**_keyed(bad.text), "method": "cash", "amount": "207,50", "tendered": "220", "currency": "EUR"}
    paid = client.post("/reservations/b1/checkout/payment", data=cash)
    assert "Payment recorded: €207.50." in paid.text and "Change to give: €12.50" in paid.text
    assert re.search(r'id="guest-balance"><strong>€0.00', paid.text)
    twice = client.post("/reservations/b1/checkout/payment", data=cash)  # a double click
    assert (
        twice.status_code == 200
        and [type(op) for op in node.outbox.pending_operations()].count(PaymentTaken) == 1
    )
    done = client.post("/reservations/b1/checkout/finish", data=_keyed(paid.text))
    assert "Checked out." in done.text
    assert _ops(node) == [CheckIn, ChargePosted, PaymentTaken, CheckedOut]
    pay = node.outbox.pending_operations()[2]
    assert isinstance(pay, PaymentTaken) and (pay.method, pay.amount_minor) == ("cash", 20750)


def test_a_forged_or_hostile_form_records_nothing(desk: tuple[TestClient, PropertyNode]) -> None:
    client, node = desk
    token = _token(client.get("/reservations").text)
    assert client.post("/reservations/b1/check-in", data={"csrf_token": "0" * 64}).status_code == 403
    client.post("/reservations/b1/check-in", data=_keyed(client.get("/reservations").text))
    before = _ops(node)
    for form in (
        {"kind": "minibar", "quantity": "2", "unit_price": "-3", "currency": "EUR"},
        {"kind": "minibar", "quantity": "0", "unit_price": "3", "currency": "EUR"},
        {"kind": "casino", "quantity": "1", "unit_price": "3", "currency": "EUR"},
        {"kind": "minibar", "quantity": "1", "unit_price": "3", "currency": "USD"},
        {"kind": "minibar", "quantity": "1", "unit_price": "9" * 12, "currency": "EUR"},
    ):
        page = client.get("/reservations/b1/checkout").text
        answer = client.post("/reservations/b1/checkout/charge", data={**_keyed(page), **form})
        assert answer.status_code in (409, 422), form
        assert 'role="alert"' in answer.text
    answer = client.post(
        "/reservations/b1/checkout/payment",
        data={**_keyed(answer.text), "method": "qr", "amount": "1", "currency": "EUR"},
    )
    assert answer.status_code == 409
    for key in ("", "../../x", "a" * 26):  # no key, or not one the page makes
        answer = client.post(
            "/reservations/b1/checkout/charge",
            data={
                "csrf_token": token,
                "key": key,
                "kind": "minibar",
                "quantity": "1",
                "unit_price": "3",
                "currency": "EUR",
            },
        )
        assert answer.status_code == 422, key
    assert _ops(node) == before


def test_the_check_out_page_speaks_the_staffs_language(desk: tuple[TestClient, PropertyNode]) -> None:
    client, _node = desk
    client.post("/reservations/b1/check-in", data=_keyed(client.get("/reservations").text))
    page = client.get("/reservations/b1/checkout", headers={"Accept-Language": "es"}).text
    assert "El huésped debe" in page and "Sin conexión desde" in page
