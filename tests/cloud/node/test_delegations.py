"""A node's delegated card key kept alive by the cloud: renewed once less than half its window is
left (its start kept, within the contract's 14 days), queued for every gateway of the site and
for a gateway coming online, never renewed once retired; and a node that says it is behind gets
the whole replica again."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloud.board.models import Gateway
from cloud.commands.models import Command
from cloud.core.db import make_sessionmaker
from cloud.ingest.link import Inbound
from cloud.keys.keyring import Keyring, SigningKey
from cloud.node import delegations
from cloud.node.ingest import NodeIngest
from cloud.node.models import NodeCardKey
from cloud.setup.demo import seed_demo
from mqtt.codec import encode
from mqtt.delegation import MAX_WINDOW
from mqtt.messages import CommandAck, GatewayStatus
from tests.cloud.node.test_ingest import StandInLink

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
ROOT = Keyring([SigningKey(1, Ed25519PrivateKey.generate(), NOW - timedelta(days=30))])


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _keys() -> delegations.NodeKeys:
    card = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    seal = X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return delegations.NodeKeys(key_id=0xF001, public_key=_b64(card), seal_key=_b64(seal))


@pytest.fixture
def sessions(sqlite_only: Engine) -> sessionmaker[Session]:
    maker: sessionmaker[Session] = make_sessionmaker(sqlite_only)
    with maker.begin() as s:
        seed_demo(s)
        s.add_all([Gateway(site="hotel", floor=f, state="online") for f in ("f1", "f2")])
    return maker


def _delegates(s: Session) -> list[Command]:
    return list(s.scalars(select(Command).where(Command.type == "key.delegate").order_by(Command.created_at)))


def test_the_delegation_is_renewed_before_its_window_ends_keeping_its_start(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        first = delegations.register(s, ROOT, site="hotel", node="desk-pc", keys=_keys(), now=NOW)
    assert first.valid_until - first.valid_from == delegations.WINDOW
    with sessions.begin() as s:  # a day on, more than half is left: nothing to do
        assert delegations.renew_due(s, ROOT, now=NOW + timedelta(days=1)) == []
    later = NOW + timedelta(days=2)
    with sessions.begin() as s:
        assert [r.node for r in delegations.renew_due(s, ROOT, now=later)] == ["desk-pc"]
        (renewed,) = delegations.in_force(s, site="hotel")
    assert renewed.valid_from == first.valid_from  # cards signed before stay good
    assert renewed.valid_until == later + delegations.WINDOW
    far = NOW + timedelta(days=20)
    with sessions.begin() as s:
        delegations.renew_due(s, ROOT, now=far)
        (longest,) = delegations.in_force(s, site="hotel")
    assert longest.valid_until - longest.valid_from == MAX_WINDOW  # never longer than the contract
    with sessions() as s:
        assert sorted(c.floor for c in _delegates(s)) == ["f1", "f1", "f1", "f2", "f2", "f2"]


def test_a_retired_node_key_is_revoked_at_the_floors_and_never_renewed(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        delegations.register(s, ROOT, site="hotel", node="desk-pc", keys=_keys(), now=NOW)
        assert delegations.retire(s, site="hotel", node="desk-pc", now=NOW)
        assert not delegations.retire(s, site="hotel", node="desk-pc", now=NOW)
    with sessions.begin() as s:
        assert delegations.renew_due(s, ROOT, now=NOW + timedelta(days=3)) == []
        assert delegations.in_force(s, site="hotel") == []
        retires = s.scalars(select(Command.floor).where(Command.type == "key.retire")).all()
        assert sorted(retires) == ["f1", "f2"]
        row = s.get(NodeCardKey, ("hotel", "desk-pc"))
        assert row is not None and row.retired_at is not None


def _status(state: str) -> bytes:
    return encode(type="gateway.status", source="node-desk-pc", data=GatewayStatus(state=state)).to_json()  # type: ignore[arg-type]


def test_a_node_coming_online_hears_its_delegation_and_one_behind_gets_the_whole_replica(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        delegations.register(s, ROOT, site="hotel", node="desk-pc", keys=_keys(), now=NOW)
    link = StandInLink()
    ingest = NodeIngest(link, sessions, desk_for=lambda s, site: (None, None))  # type: ignore[arg-type,return-value]
    told: list[tuple[str, str]] = []
    ingest.on_online.append(lambda site, node: told.append((site, node)))
    ingest.handle([Inbound("posada/v1/hotel/nodes/desk-pc/status", _status("online"), 1, 1)])
    assert told == [("hotel", "desk-pc")] and ingest.online == {("hotel", "desk-pc")}
    ingest.handle([Inbound("posada/v1/hotel/nodes/desk-pc/status", _status("online"), 2, 1)])
    types = [json.loads(p)["type"] for _t, p in link.published]
    assert types == ["node.replica", "node.replica_delta"]  # the second picture: only its changes
    behind = CommandAck(command_id="x", ok=False, error="replica_behind: the node holds replica 0")
    ingest.handle(
        [
            Inbound(
                "posada/v1/hotel/nodes/desk-pc/ack",
                encode(type="cmd.ack", source="node-desk-pc", data=behind).to_json(),
                3,
                1,
            )
        ]
    )
    assert json.loads(link.published[-1][1])["type"] == "node.replica"
    ingest.handle([Inbound("posada/v1/hotel/nodes/desk-pc/status", _status("offline"), 4, 1)])
    assert ingest.online == set()
