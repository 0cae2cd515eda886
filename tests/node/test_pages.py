"""The node's desk pages, from its replica with the cloud out of reach: staff sign in, check a
booked guest and a walk-in in, charge, take payments, encode a card with the delegated key, move
a room and check out with the node's invoice number; every operation lands in the outbox once,
a refused one shows its reason and records nothing, a forged form is refused."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cloud.auth.passwords import Passwords
from cloud.auth.settings import AuthSettings
from cloud.keys.delegation import delegate
from cloud.keys.keyring import Keyring, SigningKey
from cloud.node.seal import GuestData, LinkCipher, derived_key, guest_context, public_b64, staff_context
from mqtt.envelope import new_id
from mqtt.keycard import parse_card
from mqtt.node_messages import (
    ConflictItem,
    NodeConflicts,
    NodeReplica,
    ReplicaAccess,
    ReplicaFolio,
    ReplicaPlan,
    ReplicaPrice,
    ReplicaPricing,
    ReplicaRate,
    ReplicaRestriction,
    ReplicaRoom,
    ReplicaStaff,
    ReplicaStay,
)
from node import keys
from node.app import NodeSettings, PropertyNode
from node.encoder import CardWriter
from node.front_desk import FrontDesk
from node.pages import build_desk_app
from node.signin import DeskSignIn

CLOUD = derived_key("the-cloud-secret-of-these-tests")
PASSWORD = "desk-password-1"
HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # cheap, for tests
# The desk's sign-in at the same cost; made once, as its decoy hash (checked for unknown names)
# costs a third of a second at the defaults, which every new desk app would pay again.
PASSWORDS = Passwords(AuthSettings(argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1))


def now() -> datetime:
    """The tests' clock, read whenever a replica or a key is made: a run may cross midnight."""
    return datetime.now(UTC).replace(microsecond=0)


def staff_member(
    node: PropertyNode, username: str, password: str, *, role: str = "front_desk"
) -> ReplicaStaff:
    """A staff member as the cloud sends them: the password's hash sealed for this node."""
    sealer = LinkCipher(CLOUD, public_b64(node.seal_key))
    context = staff_context("hotel", "desk-pc", username)
    return ReplicaStaff(
        username=username,
        display_name=username.title(),
        role=role,  # type: ignore[arg-type]
        site="hotel",
        password_sealed=sealer.seal(HASHER.hash(password), context=context, stable=True),
    )


def sign_in(client: TestClient, username: str, password: str) -> int:
    form = client.get("/signin").text
    answer = client.post(
        "/signin", data={"csrf_token": _token(form), "username": username, "password": password}
    )
    return answer.status_code


def _replica(node: PropertyNode) -> NodeReplica:
    sealer = LinkCipher(CLOUD, public_b64(node.seal_key))
    guest = GuestData(name="Ana Pérez").to_json()
    as_of = now()
    d0 = as_of.date()  # the node's own today (its time zone is UTC unless set)
    return NodeReplica(
        as_of=as_of,
        first_night=d0,
        days=7,
        version=1,
        invoice_series="INV-N-DESK-PC",
        seal_key=public_b64(CLOUD),
        rooms=[
            ReplicaRoom(room=str(n), room_type="std", number=n, floor=1, sequence=3) for n in (101, 102, 103)
        ],
        rates=[ReplicaRate(rate_plan="flex", room_type="std", amount_minor=9000, currency="EUR")],
        stays=[
            ReplicaStay(
                reservation_id="b1",
                status="booked",
                room_type="std",
                room="101",
                arrival=d0,
                departure=d0 + timedelta(days=2),
                rate_minor=10000,
                currency="EUR",
                guest_sealed=sealer.seal(guest, context=guest_context("hotel", "desk-pc", "b1")),
                nights_minor=[10000, 10000],
            )
        ],
        pricing=ReplicaPricing(
            plans=[ReplicaPlan(rate_plan="flex", name="Flexible")],
            prices=[ReplicaPrice(rate_plan="flex", room_type="std", amount_minor=9000)],
            restrictions=[
                ReplicaRestriction(start=d0 + timedelta(days=3), end=d0 + timedelta(days=4), stop_sell=True)
            ],
        ),
        access=ReplicaAccess(staff=[staff_member(node, "ana", PASSWORD)]),
        folios=[
            ReplicaFolio(reservation_id="b1", balance_minor=0, currency="EUR")
        ],  # nights post at check-in
    )


def desk_app(node: PropertyNode, *, cloud: Callable[[], httpx.Client] | None = None) -> FastAPI:
    """The node's desk pages, signing staff in at the tests' cheap hashing cost (``cloud``: as
    ``build_desk_app`` takes it)."""
    return build_desk_app(FrontDesk(node), signin=DeskSignIn(node, passwords=PASSWORDS), cloud=cloud)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[tuple[TestClient, PropertyNode]]:
    """Each test's own node (its replica as the cloud sent it, an empty outbox) and desk app,
    Ana signed in: no test sees what another recorded."""
    node = _node(tmp_path)
    try:
        with TestClient(desk_app(node)) as client:
            assert sign_in(client, "ana", PASSWORD) == 200  # followed to the desk
            yield client, node
    finally:
        node.outbox.close()
        node.sessions.close()


def _node(data: Path, *, encoder: CardWriter | None = None) -> PropertyNode:
    """A node with the replica and a delegated card key, the cloud out of reach (``encoder``: the
    reader it writes cards with, none by default)."""
    node = PropertyNode(
        NodeSettings(mqtt_url="mqtt://127.0.0.1:9", site="hotel", node="desk-pc", data_dir=Path(data)),
        encoder=encoder,
    )
    node.status.replica_received(_replica(node))
    at = now()
    root = SigningKey(1, Ed25519PrivateKey.generate(), at - timedelta(days=1))
    node.status.delegation_received(
        delegate(
            Keyring([root]),
            key_id=0xF001,
            site=7,
            holder="desk-pc",
            public=keys.public_bytes(node.card_key),
            now=at,
        )
    )
    return node


def _token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found, page[:500]
    return found.group(1)


def _post(client: TestClient, path: str, **form: str) -> str:
    token = _token(client.get("/").text)
    answer = client.post(path, data={"csrf_token": token, "key": new_id(), **form})
    assert answer.status_code == 200, answer.text[-800:]
    return answer.text


def test_staff_sign_in_with_their_own_accounts(desk: tuple[TestClient, PropertyNode]) -> None:
    client, _node = desk
    with TestClient(client.app) as stranger:  # no session: the pages ask for a sign-in
        first = stranger.get("/", follow_redirects=False)
        assert (first.status_code, first.headers["location"]) == (303, "/signin")
        assert stranger.post("/walk-in", data={"name": "X"}).status_code == 401
        assert sign_in(stranger, "ana", "wrong-password") == 401
        assert sign_in(stranger, "nobody", PASSWORD) == 401
        forged = stranger.post(
            "/signin", data={"csrf_token": "0" * 64, "username": "ana", "password": PASSWORD}
        )
        assert forged.status_code == 403
        assert stranger.get("/", follow_redirects=False).status_code == 303
        es = stranger.get("/signin", headers={"Accept-Language": "es"}).text
        assert "Iniciar sesión" in es
    page = client.get("/")
    assert page.status_code == 200 and "Ana Pérez" in page.text and "Offline since" in page.text
    assert '<span id="staff">Ana</span>' in page.text
    assert "flex · std" in page.text and "90.00" in page.text  # tonight's rate, for the walk-in


def test_a_day_at_the_desk_is_recorded_in_order(desk: tuple[TestClient, PropertyNode]) -> None:
    client, node = desk
    assert "Checked in." in _post(client, "/arrivals/b1/check-in", room="101")
    page = _post(
        client, "/walk-in", name="Mei Chen", email="mei@example.org", room="102", nights="1", rate="90"
    )
    assert "Mei Chen" in page  # opened from the walk-in's sealed copy
    walk_in = re.search(r'id="stay-([0-9A-Za-z_-]+)" data-room="102"', page)
    assert walk_in is not None
    w1 = walk_in.group(1)
    _post(client, "/stays/b1/charge", kind="minibar", amount="7.50")
    carded = _post(client, "/stays/b1/card")
    card = parse_card(base64.b64decode(re.search(r'data-card="([^"]+)"', carded).group(1))).card  # type: ignore[union-attr]
    assert (card.key_id, card.site, card.rooms, card.sequence) == (0xF001, 7, (101,), 4)  # above the cloud's
    encoded = node.outbox.pending_operations()[-1]  # what the cloud records as the stay's credential
    assert (getattr(encoded, "sequence", 0), getattr(encoded, "credential_id", "")) == (
        4,
        f"{card.credential_id:016x}",
    )
    _post(client, f"/stays/{w1}/move", room="103")
    refused = _post_status(client, "/stays/b1/check-out")
    assert refused == 409  # 207.50 still owed
    assert "Payment taken." in _post(client, "/stays/b1/payment", method="terminal", amount="207.50")
    assert "Checked out." in _post(client, "/stays/b1/check-out")
    types = [e.type for e in node.outbox.after(0, limit=100)]
    assert types == [
        "node.check_in",
        "node.check_in",
        "node.charge",
        "node.card",
        "node.room_move",
        "node.payment",
        "node.check_out",
    ]
    out = node.outbox.pending_operations()[-1]
    assert getattr(out, "series", "") == "INV-N-DESK-PC" and getattr(out, "number", 0) == 1
    assert {op.staff for op in node.outbox.pending_operations()} == {"ana"}  # who signed in
    sealed = node.outbox.pending_operations()[1]
    assert "Mei" not in node.outbox.after(0, limit=100)[1].data_json  # type: ignore[operator]
    assert getattr(sealed, "walk_in", False) and getattr(sealed, "guest_sealed", "").startswith("n1:")


def _post_status(client: TestClient, path: str, **form: str) -> int:
    token = _token(client.get("/").text)
    return client.post(path, data={"csrf_token": token, "key": new_id(), **form}).status_code


def test_refused_and_forged_forms_record_nothing(desk: tuple[TestClient, PropertyNode]) -> None:
    client, node = desk
    _post(client, "/walk-in", name="Mei Chen", room="103", nights="1", rate="90")  # 103 is taken tonight
    before = node.outbox.pending()[0]
    forged = client.post(
        "/walk-in", data={"csrf_token": "0" * 64, "name": "X", "room": "102", "nights": "1", "rate": "1"}
    )
    assert forged.status_code == 403
    taken = client.post(
        "/walk-in",
        data={
            "csrf_token": _token(client.get("/").text),
            "key": new_id(),
            "name": "X",
            "room": "103",
            "nights": "1",
            "rate": "1",
        },
    )
    assert taken.status_code == 409 and "The room is not free for those nights." in taken.text
    for amount in ("1e40", "abc", "1.234"):
        bad = _post_status(client, "/walk-in", name="Y", room="101", nights="1", rate=amount)
        assert bad in (409, 422)
    assert _post_status(client, "/walk-in", name="Y", room="101", nights="99", rate="1") == 422
    assert _post_status(client, "/walk-in", name="Y", room="101", nights="1", rate="1", email="no-at") == 409
    assert (
        _post_status(client, "/walk-in", name="Y", room="101", nights="1", rate="1", phone="<script>") == 409
    )
    assert node.outbox.pending()[0] == before


def test_a_walk_in_without_a_price_is_sold_at_the_replicas_rates(
    desk: tuple[TestClient, PropertyNode],
) -> None:
    client, node = desk
    closed = client.post(
        "/walk-in",
        data={
            "csrf_token": _token(client.get("/").text),
            "key": new_id(),
            "name": "Z",
            "room": "102",
            "nights": "5",
        },
    )
    assert closed.status_code == 409 and "The rates do not sell this stay" in closed.text  # stop sell
    page = _post(client, "/walk-in", name="Lu Wei", room="102", nights="2", plan="flex")
    op = node.outbox.pending_operations()[-1]
    assert (getattr(op, "rate_plan", ""), getattr(op, "nights_minor", [])) == ("flex", [9000, 9000])
    row = re.search(rf'id="stay-{op.reservation_id}".*?class="balance">([^<]+)<', page, re.S)
    assert row is not None and "180.00" in row.group(1)


def test_the_desk_speaks_the_staffs_language(desk: tuple[TestClient, PropertyNode]) -> None:
    client, _node = desk
    page = client.get("/", headers={"Accept-Language": "es"}).text
    assert "Sin conexión desde" in page and "Llegadas" in page
    token = _token(page)
    refused = client.post(
        "/stays/nobody/charge",
        data={"csrf_token": token, "key": new_id(), "kind": "spa", "amount": "1"},
        headers={"Accept-Language": "zh"},
    )
    assert refused.status_code == 409 and "前台没有此预订。" in refused.text


def test_the_clouds_verdicts_are_listed_with_what_to_do(desk: tuple[TestClient, PropertyNode]) -> None:
    client, node = desk
    item = ConflictItem(
        event_id="e1", reservation_id="w9", rule="room_sold_twice", detail="room 102 sold online"
    )
    node.status.conflicts_received(NodeConflicts(replayed_seq=3, items=[item]))
    page = client.get("/", headers={"Accept-Language": "es"}).text
    assert 'data-rule="room_sold_twice"' in page and "Habitación vendida en línea durante el corte" in page
    assert "mueva la reserva en línea a otra habitación" in page
    node.status.conflicts_received(NodeConflicts(replayed_seq=3, items=[]))


def test_the_desk_stays_signed_in_across_a_restart_of_the_node(tmp_path: Path) -> None:
    settings = NodeSettings(mqtt_url="mqtt://127.0.0.1:9", site="hotel", node="desk-pc", data_dir=tmp_path)
    node = PropertyNode(settings)
    node.status.replica_received(_replica(node))
    with TestClient(desk_app(node)) as client:
        assert sign_in(client, "ana", PASSWORD) == 200
        cookies = dict(client.cookies)
        form = _token(client.get("/").text)  # a form opened before the restart
    node.outbox.close()
    node.sessions.close()
    again = PropertyNode(settings)  # the process started again on the same data directory
    try:
        with TestClient(desk_app(again), cookies=cookies) as client:
            page = client.get("/", follow_redirects=False)
            assert page.status_code == 200 and "Ana" in page.text
            answer = client.post(
                "/arrivals/b1/check-in",
                data={"csrf_token": form, "key": new_id(), "room": "101"},
                follow_redirects=False,
            )
            assert answer.status_code == 303
            assert [type(op).__name__ for op in again.outbox.pending_operations()] == ["CheckIn"]
            assert client.post("/signout", data={"csrf_token": form}).status_code == 200
        with TestClient(desk_app(again), cookies=cookies) as client:
            assert client.get("/", follow_redirects=False).status_code == 303  # signed out for good
    finally:
        again.outbox.close()
        again.sessions.close()


def _forms(page: str) -> dict[str, dict[str, str]]:
    """The page's forms by their action, each with its hidden fields (session token, one-time key)."""
    return {
        action: dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', body))
        for action, body in re.findall(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', page, re.S)
    }


def test_a_form_sent_twice_is_recorded_once(tmp_path: Path) -> None:
    """A double click sends the same form twice: the second records nothing and shows the first's
    result; a refused form's key is released, so the corrected form is recorded once."""
    node = _node(tmp_path)
    try:
        with TestClient(desk_app(node)) as client:
            assert sign_in(client, "ana", PASSWORD) == 200

            def twice(action: str, said: str, **fields: str) -> None:
                form = {**_forms(client.get("/").text)[action], **fields}
                assert re.fullmatch(r"[0-9A-Z]{26}", form.get("key", "")), action
                before = len(node.outbox.pending_operations())
                first = client.post(action, data=form)
                second = client.post(action, data=form)
                assert first.status_code == second.status_code == 200, second.text[-600:]
                assert said in first.text and said in second.text, action
                assert len(node.outbox.pending_operations()) == before + 1, action

            twice("/arrivals/b1/check-in", "Checked in.", room="101")
            twice("/walk-in", "Checked in.", name="Mei Chen", room="102", nights="1", rate="90")
            walk_in = re.search(r'id="stay-([0-9A-Za-z_-]+)" data-room="102"', client.get("/").text)
            assert walk_in is not None
            twice("/stays/b1/charge", "Charge posted.", kind="minibar", amount="7.50")
            twice(f"/stays/{walk_in.group(1)}/move", "Room changed.", room="103")
            twice("/stays/b1/card", "Card encoded.")
            form = {**_forms(client.get("/").text)["/stays/b1/payment"], "method": "terminal"}
            refused = client.post("/stays/b1/payment", data={**form, "amount": "abc"})
            assert refused.status_code == 409  # nothing recorded: the same form, corrected, is
            twice("/stays/b1/payment", "Payment taken.", key=form["key"], method="terminal", amount="207.50")
            twice("/stays/b1/check-out", "Checked out.")
            unkeyed = {k: v for k, v in _forms(client.get("/").text)["/walk-in"].items() if k != "key"}
            stale = client.post("/walk-in", data={**unkeyed, "name": "Lu", "room": "101", "nights": "1"})
            assert stale.status_code == 422 and "reload the page" in stale.text
        types = [e.type for e in node.outbox.after(0, limit=100)]
        assert types == [
            "node.check_in",
            "node.check_in",
            "node.charge",
            "node.room_move",
            "node.card",
            "node.payment",
            "node.check_out",
        ]
    finally:
        node.outbox.close()
        node.sessions.close()
