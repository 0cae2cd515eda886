"""Staff see their nodes' conflicts through the API and on a page (with what to do, in three
languages), mark held ones handled, and nothing of another property; managers register a node's
keys, whose delegation goes to every gateway of the site; errors are problem details."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient
from sqlalchemy import select

from cloud.app import create_app
from cloud.auth.roles import Role
from cloud.board.models import Gateway
from cloud.commands.models import Command
from cloud.node.models import NodeCardKey
from cloud.node.replay import replay
from cloud.node.store import SqlLedger
from cloud.settings import Settings
from cloud.setup.demo import seed_demo
from tests.cloud.node.test_replay import _outage
from tests.support.db import migrated_sqlite
from tests.support.staff import sign_in_staff

NOW = datetime(2026, 12, 4, 8, tzinfo=UTC)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("node-api")
    app = create_app(
        Settings(database_url=migrated_sqlite(tmp / "cloud.db"), mqtt_enabled=False,
                 keys_dir=str(tmp / "keys"))
    )
    cloud, events = _outage()
    with app.services.sessions.begin() as session:
        seed_demo(session)
        replay(
            events, node="desk-pc", view=cloud, desk=cloud, ledger=SqlLedger(session, site="hotel", now=NOW)
        )
    with TestClient(app) as client:
        yield client


def test_staff_list_and_resolve_their_nodes_conflicts(client: TestClient) -> None:
    sign_in_staff(client, site="hotel", role=Role.FRONT_DESK, chain="posada-demo")
    listed = client.get("/api/v1/nodes/hotel/conflicts")
    assert listed.status_code == 200, listed.text
    rules = [(c["reservation_id"], c["findings"][0]["rule"], c["held"]) for c in listed.json()]
    assert rules == [
        ("b2", "cancelled_online", True),
        ("b2", "held", True),
        ("w1", "room_sold_twice", True),
        ("w1", "held", True),
    ]
    clash = listed.json()[2]
    done = client.post(f"/api/v1/nodes/hotel/conflicts/{clash['event_id']}/resolved")
    assert done.status_code == 200 and done.json()["resolved_at"]
    again = client.post(f"/api/v1/nodes/hotel/conflicts/{clash['event_id']}/resolved")
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    missing = client.post("/api/v1/nodes/hotel/conflicts/nope/resolved")
    assert missing.status_code == 404
    assert client.get("/api/v1/nodes/annex/conflicts").status_code == 403


@pytest.mark.parametrize(
    ("lang", "heading", "advice"),
    [
        ("en", "Property node conflicts", "Reinstate the booking with the channel"),
        ("es", "Conflictos del nodo de la propiedad", "Restablezca la reserva con el canal"),
        ("zh", "物业节点冲突", "请与渠道恢复该预订"),
    ],
)
def test_the_conflicts_page_says_what_to_do_in_the_staffs_language(
    client: TestClient, lang: str, heading: str, advice: str
) -> None:
    sign_in_staff(client, site="hotel", role=Role.FRONT_DESK, chain="posada-demo")
    page = client.get("/nodes/conflicts", headers={"Accept-Language": lang})
    assert page.status_code == 200, page.text
    assert heading in page.text and advice in page.text
    assert 'data-rule="cancelled_online"' in page.text and "annex" not in page.text


def test_marking_a_conflict_handled_on_the_page_moves_it_to_resolved(client: TestClient) -> None:
    sign_in_staff(client, site="hotel", role=Role.MANAGER, chain="posada-demo")
    waiting = [c for c in client.get("/api/v1/nodes/hotel/conflicts").json() if not c["resolved_at"]]
    target = waiting[0]["event_id"]
    done = client.post(f"/nodes/hotel/conflicts/{target}/resolved", follow_redirects=False)
    assert done.status_code == 303
    page = client.get("/nodes/conflicts").text
    assert f'id="conflict-{target}"' not in page
    assert client.post("/nodes/annex/conflicts/x/resolved").status_code == 403


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_registered_node_key_is_delegated_and_queued_for_every_gateway_of_the_site(
    client: TestClient,
) -> None:
    app = client.app
    with app.services.sessions.begin() as session:  # type: ignore[attr-defined]
        session.add_all([Gateway(site="hotel", floor=f, state="online") for f in ("f1", "f2")])
    card = _b64(Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    seal = _b64(X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    sign_in_staff(client, site="hotel", role=Role.FRONT_DESK, chain="posada-demo")
    body = {"key_id": 0xF001, "public_key": card, "seal_key": seal}
    assert client.put("/api/v1/nodes/hotel/desk-pc/keys", json=body).status_code == 403
    sign_in_staff(client, site="hotel", role=Role.MANAGER, chain="posada-demo")
    bad = client.put("/api/v1/nodes/hotel/desk-pc/keys", json=body | {"key_id": 5})
    assert bad.status_code == 422
    done = client.put("/api/v1/nodes/hotel/desk-pc/keys", json=body)
    assert done.status_code == 200, done.text
    window = done.json()
    assert window["key_id"] == 0xF001 and window["valid_until"] > window["valid_from"]
    other = _b64(Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    refused = client.put("/api/v1/nodes/hotel/desk-pc/keys", json=body | {"public_key": other})
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    with app.services.sessions() as session:  # type: ignore[attr-defined]
        sent = session.scalars(select(Command).where(Command.type == "key.delegate")).all()
        assert sorted(c.floor for c in sent) == ["f1", "f2"]
        row = session.get(NodeCardKey, ("hotel", "desk-pc"))
        assert row is not None and row.public_key == card  # the refused one changed nothing
