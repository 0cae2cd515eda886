"""The replica feed: the first picture goes whole with its guests sealed for the node (and only
the node opens them), later ones carry only what changed, a node that says it is behind gets the
whole picture again; a walk-in's name sealed at the node reaches the cloud's booking."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.settings import BillingSettings
from cloud.billing.stay_ledger import FolioLedger
from cloud.core.db import make_sessionmaker
from cloud.node.models import NodeCardKey
from cloud.node.replay import NodeEvent
from cloud.node.replica_delta import apply
from cloud.node.replica_feed import ReplicaFeed
from cloud.node.seal import GuestData, LinkCipher, SealError, guest_context, public_b64
from cloud.node.sql_desk import WALK_IN_NAME, SqlDesk
from cloud.reservations.models import Reservation
from cloud.reservations.sales.booking import Booking, book
from cloud.setup.demo import seed_demo
from mqtt.envelope import new_id
from mqtt.node_messages import CheckIn, NodeReplica, NodeReplicaDelta

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
D0, D2 = date(2027, 3, 1), date(2027, 3, 3)
NODE_KEY = X25519PrivateKey.generate()
FEED = ReplicaFeed("a-secret-for-the-feed-tests-only")


@pytest.fixture
def sessions(sqlite_only: Engine) -> sessionmaker[Session]:
    maker: sessionmaker[Session] = make_sessionmaker(sqlite_only)
    with maker.begin() as s:
        seed_demo(s)
        s.add(
            NodeCardKey(
                site="hotel",
                node="desk-pc",
                key_id=0xF001,
                public_key="-" * 43,
                seal_key=public_b64(NODE_KEY),
                registered_at=NOW,
            )
        )
        _book(s, "Ana Pérez")
    return maker


def _book(s: Session, name: str) -> str:
    res = book(
        s,
        Booking(
            property="hotel",
            room_type="std",
            rate_plan="flex",
            arrival=D0,
            departure=D2,
            guest_name=name,
            guest_email="ana@example.org",
        ),
        now=NOW,
    )
    s.flush()
    FolioLedger(BillingSettings()).booked(s, res, now=NOW)  # as the services' booking does
    return res.id


def _next(sessions: sessionmaker[Session]) -> tuple[str, NodeReplica | NodeReplicaDelta]:
    with sessions.begin() as s:
        ((type_, data),) = FEED.next(s, site="hotel", node="desk-pc", now=NOW)  # small: one message
    assert isinstance(data, NodeReplica | NodeReplicaDelta)
    return type_, data


def test_whole_picture_first_then_changes_then_whole_again_when_behind(
    sessions: sessionmaker[Session],
) -> None:
    type_, first = _next(sessions)
    assert type_ == "node.replica" and isinstance(first, NodeReplica) and first.version == 1
    assert first.seal_key == FEED.public and first.rates and first.folios
    (stay,) = first.stays
    node_side = LinkCipher(NODE_KEY, first.seal_key)
    context = guest_context("hotel", "desk-pc", stay.reservation_id)
    guest = GuestData.from_json(node_side.open(stay.guest_sealed, context=context))
    assert (guest.name, guest.email) == ("Ana Pérez", "ana@example.org")
    assert "Ana" not in first.model_dump_json()  # sealed on the wire and at rest on the node
    with pytest.raises(SealError):  # a sealed guest moved to another stay does not open
        node_side.open(stay.guest_sealed, context=guest_context("hotel", "desk-pc", "other"))

    with sessions.begin() as s:
        later = _book(s, "Bo Li")
    type_, delta = _next(sessions)
    assert type_ == "node.replica_delta" and isinstance(delta, NodeReplicaDelta)
    assert [s.reservation_id for s in delta.stays] == [later]  # the unchanged guest is not resent
    assert delta.rooms == [] and delta.rates is None and (delta.base, delta.version) == (1, 2)
    assert len(apply(first, delta).stays) == 2

    with sessions.begin() as s:
        FEED.behind(s, site="hotel", node="desk-pc")
    type_, again = _next(sessions)
    assert type_ == "node.replica" and isinstance(again, NodeReplica) and again.version == 3
    assert len(again.stays) == 2


def _walk_in(sealed: str, res_id: str) -> NodeEvent:
    op = CheckIn(
        at=NOW,
        reservation_id=res_id,
        walk_in=True,
        room="105",
        room_type="std",
        arrival=D0,
        departure=D2,
        rate_minor=10000,
        currency="EUR",
        guest_sealed=sealed,
    )
    return NodeEvent(id=new_id(), seq=1, type="node.check_in", op=op)


@pytest.mark.slow
def test_a_walk_in_reaches_the_cloud_with_the_name_the_desk_took(sessions: sessionmaker[Session]) -> None:
    sealed_for, unreadable = new_id(), new_id()
    node_side = LinkCipher(NODE_KEY, FEED.public)
    guest = GuestData(name="Mei Chen", email="mei@example.org", phone="+34600000000")
    token = node_side.seal(guest.to_json(), context=guest_context("hotel", "desk-pc", sealed_for))
    with sessions.begin() as s:
        desk = SqlDesk(s, site="hotel", settings=BillingSettings(), feed=FEED)
        desk.apply(_walk_in(token, sealed_for), node="desk-pc")
        desk.apply(
            _walk_in(token, unreadable).__class__(  # the same token on another stay
                id=new_id(),
                seq=2,
                type="node.check_in",
                op=_walk_in(token, unreadable).op.model_copy(update={"room": "106"}),
            ),
            node="desk-pc",
        )
    with sessions() as s:
        res = s.get(Reservation, sealed_for)
        assert res is not None and (res.guest_name, res.guest_email, res.guest_phone) == (
            "Mei Chen",
            "mei@example.org",
            "+34600000000",
        )
        other = s.get(Reservation, unreadable)
        assert other is not None and other.guest_name == WALK_IN_NAME
