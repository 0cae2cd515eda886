"""A property node cut off from the cloud (the broker stopped, not a mock): 15 check-ins
(booked and walk-in), cards signed with the delegated key opening doors, payments, 5 check-outs
with invoices, while the cloud sells 3 of the same rooms online; a node process is killed
(SIGKILL) mid-outage and the node comes back;
the link returns: the cloud's own tables hold every operation once, the node's invoice numbers
have no gap, the 3 conflicts are listed in the cloud and at the node, and a second reconnect
changes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.models import Invoice, Payment
from cloud.billing.node_series import reserve_node_series, series_gaps
from cloud.billing.settings import BillingSettings
from cloud.catalog.models import Room
from cloud.core.db import make_sessionmaker
from cloud.ingest.link import CloudLink
from cloud.node.banner import BannerKind
from cloud.node.ingest import DEFAULT_SECRET, NodeIngest
from cloud.node.models import NodeCardKey, NodeEvent
from cloud.node.replica_feed import ReplicaFeed
from cloud.node.seal import public_b64
from cloud.node.sql_desk import SqlDesk
from cloud.node.sql_view import SqlCloudView
from cloud.node.store import SqlLedger, findings_for_staff
from cloud.reservations.models import Reservation, RoomAllocation
from cloud.reservations.sales.booking import Booking, book
from cloud.setup.demo import seed_demo
from mqtt.access_messages import KeyDelegate
from mqtt.codec import encode
from mqtt.envelope import new_id
from mqtt.node_topics import NodeTopic, node_user, subscriptions_for_cloud_nodes
from mqtt.topics import Kind
from node import keys
from node.app import NodeSettings, PropertyNode
from tests.cloud.billing.db_fixtures import billing_sqlite_template, sqlite_only  # noqa: F401
from tests.integration.node_outage import D0, NOW, SERIES, SUB_ID, Desk, delegation_and_gateway
from tests.support.broker import Mosquitto


def wait(condition: Callable[[], bool], *, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def _node(broker: Mosquitto, data_dir: Path) -> PropertyNode:
    url = broker.url(node_user("hotel", "desk-pc"))
    node = PropertyNode(NodeSettings(mqtt_url=url, site="hotel", node="desk-pc", data_dir=data_dir))
    node.start()
    return node


def _sell(s: Session, room_type: str, name: str) -> tuple[str, int]:
    """A booking through the cloud's own sale; returns it and the room it was given."""
    res = book(
        s,
        Booking(
            property="hotel",
            room_type=room_type,
            rate_plan="flex",
            arrival=D0,
            departure=D0 + timedelta(days=2),
            guest_name=name,
        ),
        now=NOW,
    )
    s.flush()
    alloc = s.scalars(select(RoomAllocation).where(RoomAllocation.reservation_id == res.id)).one()
    room = s.get(Room, alloc.room_id)
    assert room is not None
    return res.id, int(room.slug)


@pytest.fixture
def sessions(sqlite_only: Engine) -> sessionmaker[Session]:  # noqa: F811
    maker: sessionmaker[Session] = make_sessionmaker(sqlite_only)
    with maker.begin() as s:
        seed_demo(s)
        reserve_node_series(s, site="hotel", node="desk-pc", base="INV", now=NOW)
    return maker


@pytest.fixture
def running(own_mosquitto: Mosquitto, sessions: sessionmaker[Session]) -> Iterator[NodeIngest]:
    link = CloudLink(
        own_mosquitto.cloud_url, client_id="cloud-nodes", filters=subscriptions_for_cloud_nodes()
    )
    feed = ReplicaFeed(DEFAULT_SECRET)
    ingest = NodeIngest(
        link,
        sessions,
        desk_for=lambda s, _site: (
            SqlCloudView(s, site="hotel"),
            SqlDesk(s, site="hotel", settings=BillingSettings(), feed=feed),
        ),
        feed=feed,
    )
    ingest.start()
    yield ingest
    ingest.stop()


def _killed_node(
    broker: Mosquitto, data_dir: Path, delegation: KeyDelegate, root_public: bytes, pairs: list[str]
) -> list[str]:
    url = broker.url(node_user("hotel", "desk-pc"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.integration.node_outage",
            str(data_dir),
            url,
            delegation.model_dump_json(),
            root_public.hex(),
            *pairs,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2])),
    )
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    return done.stdout.split()


def _replayed(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return SqlLedger(session, site="hotel", now=datetime.now(UTC)).last_seq("desk-pc")


def _counts(sessions: sessionmaker[Session]) -> tuple[int, ...]:
    with sessions() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(t)) or 0
            for t in (NodeEvent, Reservation, Payment, Invoice)
        )


def test_outage_is_synchronised_exactly_once_with_the_conflicts_listed(
    own_mosquitto: Mosquitto,
    running: NodeIngest,
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    with sessions.begin() as s:  # what the node's replica holds: ten booked guests
        booked = [_sell(s, "std", f"Guest {n}") for n in range(10)]
        free_std = [
            r
            for r in s.scalars(select(Room.number).where(Room.slug.like("_0_")))
            if r not in {room for _id, room in booked} and r % 100 <= 6
        ][:2]
    node = _node(own_mosquitto, tmp_path / "node")
    with sessions.begin() as s:  # staff registered the node's sealing key: guests travel sealed
        s.add(
            NodeCardKey(
                site="hotel",
                node="desk-pc",
                key_id=SUB_ID,
                public_key="-" * 43,
                seal_key=public_b64(node.seal_key),
                registered_at=NOW,
            )
        )
    wait(lambda: node.link.online.is_set() and running.link.connected.is_set())
    assert node.banner().kind is BannerKind.SYNCED
    wait(lambda: (r := node.status.replica()) is not None and len(r.stays) == len(booked))
    replica = node.status.replica()
    assert replica is not None  # what the desk knows: each booked guest's room
    assert replica.invoice_series == SERIES, replica
    assert {(x.reservation_id, int(x.room)) for x in replica.stays} == set(booked)
    delegation, root_public, gateway = delegation_and_gateway(keys.public_bytes(node.card_key))
    running.link.publish(
        str(NodeTopic(Kind.CMD, "hotel", "desk-pc")),
        encode(type="key.delegate", source="posada-cloud", data=delegation).to_json(),
    )
    wait(lambda: node.status.delegation() == delegation)  # the node's key may sign cards now
    own_mosquitto.stop()
    wait(lambda: not node.link.online.is_set())

    with sessions.begin() as s:  # the cloud sells three superior rooms online meanwhile
        online = [_sell(s, "sup", f"Online {n}") for n in range(3)]
    desk = Desk(node.outbox, node.card_keyring(now=NOW), gateway, node=node)
    for res_id, room in booked:
        desk.check_in(res_id, room, walk_in=False, room_type="std", rate=10000)
    walk_ins = [new_id() for _ in range(5)]
    for res_id, (_online, room) in zip(walk_ins[:3], online, strict=True):
        desk.check_in(res_id, room, walk_in=True, room_type="sup", rate=15000)
    node.stop()  # the node's process is replaced by another, killed with SIGKILL mid-outage
    told = _killed_node(
        own_mosquitto,
        tmp_path / "node",
        delegation,
        root_public,
        [f"{room}:{res}" for res, room in zip(walk_ins[3:], free_std, strict=True)],
    )
    assert told == walk_ins[3:]
    node = _node(own_mosquitto, tmp_path / "node")  # and the node comes back
    desk.outbox, desk.keyring = node.outbox, node.card_keyring(now=NOW)  # its key on disk
    desk.node = node
    for res_id, _room in booked[:5]:
        desk.check_out(res_id)
    recorded = node.outbox.pending()[0]
    assert recorded == 15 * 3 + 5
    offline = node.banner(tag="es")
    assert offline.kind is BannerKind.OFFLINE and offline.text.endswith("50 cambios pendientes")
    assert node.replica_note().startswith("Bookings as of ")  # what the desk saw before the cut

    own_mosquitto.start()
    wait(lambda: node.outbox.pending()[0] == 0, timeout=30)
    wait(lambda: _replayed(sessions) == recorded, timeout=30)
    with sessions() as s:
        status = {r.id: r.status for r in s.scalars(select(Reservation))}
        assert [status[r] for r, _ in booked] == ["checked_out"] * 5 + ["checked_in"] * 5
        assert [status.get(r) for r in walk_ins] == [None] * 3 + ["checked_in"] * 2
        names = [s.get(Reservation, r).guest_name for r in walk_ins[3:]]  # type: ignore[union-attr]
        assert names == [
            f"Walk-in {r[-6:]}" for r in walk_ins[3:]
        ]  # the name the desk took, not a placeholder
        assert [status[r] for r, _ in online] == ["booked"] * 3  # nothing overwritten
        numbers = sorted(s.scalars(select(Invoice.number).where(Invoice.series == SERIES)))
        assert numbers == [1, 2, 3, 4, 5] and series_gaps(s, SERIES) == []
        assert series_gaps(s, "INV") == []  # the cloud's own series: untouched, no gap
        assert s.scalar(select(func.count()).select_from(Payment)) == 12  # 15 less the 3 held
        clashes = [
            f
            for row in findings_for_staff(s, site="hotel")
            for f in row.findings
            if f["rule"] == "room_sold_twice"
        ]
        assert [f["others"] for f in clashes] == [[r] for r, _ in online]
    wait(lambda: len(node.status.conflicts()) == 9)  # the 3 clashes, each with card and payment
    assert node.banner().text == "3 conflicts need staff"
    before = _counts(sessions)
    assert before[0] == recorded

    own_mosquitto.stop()  # a second reconnect
    wait(lambda: not node.link.online.is_set())
    own_mosquitto.start()
    wait(lambda: node.link.online.is_set() and running.link.connected.is_set())
    time.sleep(0.5)  # room for any redelivery to land (there is none to wait for)
    assert _counts(sessions) == before
    node.stop()
