"""The desk's staff in a node's replica: the property's active front desk staff and managers and
its chain's administrators, nobody else; each password hash sealed for that node (never in
clear, never without a link to the node), and the cloud's session rules. A staff member signs
in at the node with their cloud password, from the replica the cloud made."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.accounts import create_staff, ensure_property
from cloud.auth.models import StaffUser
from cloud.auth.passwords import Passwords
from cloud.auth.roles import Role
from cloud.auth.settings import AuthSettings
from cloud.core.db import make_sessionmaker
from cloud.node.replica import snapshot
from cloud.node.seal import LinkCipher, derived_key, public_b64
from cloud.setup.demo import seed_demo
from node.app import NodeSettings, PropertyNode
from node.signin import DeskSignIn, SignInRefused

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
CLOUD = derived_key("the-cloud-secret-of-these-tests")
CHEAP = AuthSettings(argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1, session_idle_minutes=30)


@pytest.fixture
def sessions(sqlite_only: Engine) -> sessionmaker[Session]:
    maker: sessionmaker[Session] = make_sessionmaker(sqlite_only)
    passwords = Passwords(CHEAP)
    with maker.begin() as s:
        seed_demo(s)
        chain = ensure_property(s, site="hotel", chain="posada-demo", name="Posada Demo Hotel").chain
        ensure_property(s, site="other", chain="posada-demo", name="Other")
        ensure_property(s, site="elsewhere", chain="another-chain", name="Elsewhere")
        for username, role, site in [
            ("lucia", Role.FRONT_DESK, "hotel"),
            ("marta", Role.MANAGER, "hotel"),
            ("wang", Role.HOUSEKEEPING, "hotel"),
            ("pablo", Role.FRONT_DESK, "other"),
            ("carmen", Role.CHAIN_ADMIN, None),
            ("olga", Role.FRONT_DESK, "hotel"),
        ]:
            user = create_staff(
                s,
                actor="test",
                passwords=passwords,
                username=username,
                display_name=username.title(),
                password=f"{username[::-1]}-secret-1",
                role=role,
                site=site,
                chain=chain if site is None else None,
            )
            if username == "olga":
                user.active = False
        create_staff(
            s,
            actor="test",
            passwords=passwords,
            username="zoe",
            display_name="Zoe",
            password="eoz-secret-1",
            role=Role.CHAIN_ADMIN,
            site=None,
            chain="another-chain",
        )
    return maker


def test_the_replica_names_the_desks_staff_sealed_for_the_node(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    node = PropertyNode(
        NodeSettings(mqtt_url="mqtt://127.0.0.1:9", site="hotel", node="desk-pc", data_dir=tmp_path)
    )
    try:
        sealer = LinkCipher(CLOUD, public_b64(node.seal_key))
        with sessions() as s:
            unsealed = snapshot(s, site="hotel", node="desk-pc", now=NOW, auth=CHEAP)
            replica = snapshot(
                s,
                site="hotel",
                node="desk-pc",
                now=NOW,
                sealer=sealer,
                seal_key=public_b64(CLOUD),
                auth=CHEAP,
            )
            hashes = list(s.scalars(select(StaffUser.password_hash)))
        assert unsealed.access.staff == []  # no link to the node: no hash leaves the cloud
        assert [(m.username, m.role, m.site) for m in replica.access.staff] == [
            ("carmen", "chain_admin", None),
            ("lucia", "front_desk", "hotel"),
            ("marta", "manager", "hotel"),
        ]
        assert replica.access.session_idle_minutes == 30
        wire = replica.model_dump_json()
        assert not any(h in wire for h in hashes) and "secret-1" not in wire

        node.status.replica_received(replica.model_copy(update={"version": 1}))
        desk = DeskSignIn(node, passwords=Passwords(CHEAP))
        token = desk.sign_in("lucia", "aicul-secret-1", now=NOW)
        assert isinstance(token, str)
        who = desk.resolve(token, now=NOW)
        assert who is not None and (who.username, who.role) == ("lucia", "front_desk")
        for name in ("wang", "pablo", "olga", "zoe"):
            assert desk.sign_in(name, f"{name[::-1]}-secret-1", now=NOW) == SignInRefused("bad_credentials")
    finally:
        node.outbox.close()
