"""A manager registers the node's keys from the node's own page with their cloud account: the
node asks the cloud's API (a token made for the call and revoked after), the cloud delegates the
card key; front desk staff, a wrong password or an unreachable cloud are refused with the reason
in the staff's language, and nothing is registered."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cloud.app import create_app
from cloud.auth.accounts import create_staff, ensure_property
from cloud.auth.models import ApiToken
from cloud.auth.roles import Role
from cloud.auth.settings import AuthSettings
from cloud.node.models import NodeCardKey
from cloud.settings import Settings
from cloud.setup.demo import seed_demo
from node.app import NodeSettings, PropertyNode
from node.registration import public_keys
from tests.node.test_pages import desk_app
from tests.support.db import migrated_sqlite


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(
        Settings(
            database_url=migrated_sqlite(tmp_path / "cloud.db"),
            mqtt_enabled=False,
            keys_dir=str(tmp_path / "keys"),
            auth=AuthSettings(argon2_memory_kib=8, argon2_time_cost=1, argon2_parallelism=1),
        )
    )
    ctx = app.services.auth  # type: ignore[attr-defined]
    with app.services.sessions.begin() as session:  # type: ignore[attr-defined]
        seed_demo(session)
        ensure_property(session, site="hotel", chain="posada-demo", name="Posada Demo Hotel")
        for username, role in (("marta", Role.MANAGER), ("lucia", Role.FRONT_DESK)):
            create_staff(
                session,
                actor="test",
                passwords=ctx.passwords,
                username=username,
                display_name=username.title(),
                password="a-long-password-1",
                role=role,
                site="hotel",
            )
    with TestClient(app) as client:
        yield client


@pytest.fixture
def node(tmp_path: Path) -> Iterator[PropertyNode]:
    found = PropertyNode(
        NodeSettings(mqtt_url="mqtt://127.0.0.1:9", site="hotel", node="desk-pc", data_dir=tmp_path / "node")
    )
    yield found
    found.outbox.close()


def _submit(page: TestClient, **form: str) -> httpx.Response:
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.get("/keys").text)
    assert token is not None
    return page.post("/keys", data={"csrf_token": token.group(1), **form})


def _registered(cloud: TestClient) -> NodeCardKey | None:
    with cloud.app.services.sessions() as session:  # type: ignore[attr-defined]
        return session.get(NodeCardKey, ("hotel", "desk-pc"))


def test_a_manager_registers_the_nodes_keys_from_its_page(cloud: TestClient, node: PropertyNode) -> None:
    app = desk_app(node, cloud=lambda: TestClient(cloud.app))
    with TestClient(app) as page:
        shown = page.get("/keys", headers={"Accept-Language": "es"})
        card, seal = public_keys(node)
        assert shown.status_code == 200 and card in shown.text and seal in shown.text
        assert "Registrar en la nube" in shown.text

        wrong = _submit(page, username="marta", password="not-her-password", key_id="F001")
        assert wrong.status_code == 409 and "Wrong username or password." in wrong.text
        desk = _submit(page, username="lucia", password="a-long-password-1", key_id="F001")
        assert desk.status_code == 409 and "Only a manager" in desk.text
        assert _registered(cloud) is None
        forged = page.post("/keys", data={"csrf_token": "0" * 64, "username": "marta", "password": "x"})
        assert forged.status_code == 403

        done = _submit(page, username="marta", password="a-long-password-1", key_id="f00a")
        assert done.status_code == 200 and 'id="done"' in done.text and "F00A" in done.text
    row = _registered(cloud)
    assert row is not None and (row.key_id, row.public_key, row.seal_key) == (0xF00A, card, seal)
    with cloud.app.services.sessions() as session:  # type: ignore[attr-defined]
        tokens = list(session.scalars(select(ApiToken).where(ApiToken.name == "node desk-pc keys")))
        assert tokens and all(t.revoked_at is not None for t in tokens)  # made for the call, revoked


def test_without_the_clouds_address_or_the_cloud_the_page_says_so(node: PropertyNode) -> None:
    with TestClient(desk_app(node)) as page:  # no POSADA_NODE_CLOUD_URL
        refused = _submit(page, username="marta", password="a-long-password-1")
        assert refused.status_code == 409 and "POSADA_NODE_CLOUD_URL" in refused.text
    down = desk_app(node, cloud=lambda: httpx.Client(base_url="http://127.0.0.1:9", timeout=2))
    with TestClient(down) as page:
        refused = _submit(page, username="marta", password="a-long-password-1")
        assert refused.status_code == 409 and "The cloud cannot be reached from this node." in refused.text
