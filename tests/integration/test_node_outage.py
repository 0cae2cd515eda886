"""A property node cut off from the cloud (the broker stopped, not a mock): 15 check-ins,
cards with the delegated key opening doors, payments, 5 check-outs with invoices, while the
cloud sells 3 of the same rooms online; the node restarts mid-outage; the link returns: every
operation reaches the cloud once, in order, the invoice numbers have no gap, the 3 conflicts
are listed, and a second reconnect changes nothing."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloud.core.db import make_sessionmaker
from cloud.ingest.link import CloudLink
from cloud.node.banner import BannerKind
from cloud.node.ingest import NodeIngest
from cloud.node.models import NodeEvent
from cloud.node.store import SqlLedger, findings_for_staff
from mqtt.node_topics import node_user, subscriptions_for_cloud_nodes
from node.app import NodeSettings, PropertyNode
from tests.cloud.billing.db_fixtures import billing_sqlite_template, sqlite_only  # noqa: F401
from tests.integration.node_outage import SERIES, Desk, hotel, property_and_gateway
from tests.support.broker import Mosquitto


def wait(condition: Callable[[], bool], *, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


@pytest.fixture
def node_db(tmp_path: Path) -> Path:
    return tmp_path / "node"


def _node(broker: Mosquitto, data_dir: Path) -> PropertyNode:
    url = broker.url(node_user("hotel", "desk-pc"))
    node = PropertyNode(NodeSettings(mqtt_url=url, site="hotel", node="desk-pc", data_dir=data_dir))
    node.start()
    return node


@pytest.fixture
def running(own_mosquitto: Mosquitto, sqlite_only: Engine) -> Iterator[NodeIngest]:  # noqa: F811
    cloud = hotel()
    link = CloudLink(
        own_mosquitto.cloud_url, client_id="cloud-nodes", filters=subscriptions_for_cloud_nodes()
    )
    ingest = NodeIngest(link, make_sessionmaker(sqlite_only), desk_for=lambda _s: (cloud, cloud))
    ingest.cloud = cloud  # type: ignore[attr-defined]
    ingest.start()
    yield ingest
    ingest.stop()


def test_outage_is_synchronised_exactly_once_with_the_conflicts_listed(
    own_mosquitto: Mosquitto,
    running: NodeIngest,
    node_db: Path,
    sqlite_only: Engine,  # noqa: F811
) -> None:
    cloud = running.cloud  # type: ignore[attr-defined]
    _root, sub, gateway = property_and_gateway()
    node = _node(own_mosquitto, node_db)
    wait(lambda: node.link.online.is_set() and running.link.connected.is_set())
    assert node.banner().kind is BannerKind.SYNCED
    own_mosquitto.stop()
    wait(lambda: not node.link.online.is_set())

    for n in range(1, 4):  # the cloud sells rooms 111..113 online meanwhile
        cloud.book(f"online-{n}", str(110 + n))
    desk = Desk(node.outbox, sub, gateway)
    for n in range(1, 11):
        desk.check_in(f"b{n}", 100 + n, walk_in=False)
    for n in range(1, 4):
        desk.check_in(f"w{n}", 110 + n, walk_in=True)
    node.stop()  # the node restarts mid-outage (tests/node/test_outbox.py kills one: SIGKILL)
    node = _node(own_mosquitto, node_db)
    desk.outbox = node.outbox
    for n in range(4, 6):
        desk.check_in(f"w{n}", 110 + n, walk_in=True)
    for n in range(1, 6):
        desk.check_out(f"b{n}")
    recorded = node.outbox.pending()[0]
    assert recorded == 15 * 3 + 5
    offline = node.banner(tag="es")
    assert offline.kind is BannerKind.OFFLINE and offline.text.endswith("50 cambios pendientes")

    own_mosquitto.start()
    wait(lambda: node.outbox.pending()[0] == 0, timeout=30)
    sessions = make_sessionmaker(sqlite_only)
    wait(lambda: _replayed(sessions) == recorded)

    applied = list(cloud.applied)
    # the 3 walk-ins into rooms sold online wait for staff, with their card and payment
    assert len(applied) == len(set(applied)) == recorded - 3 * 3
    assert sorted(n for s, n in cloud.invoices if s == SERIES) == [1, 2, 3, 4, 5]
    with sessions() as session:
        listed = findings_for_staff(session, site="hotel")
        clashes = [f for row in listed for f in row.findings if f["rule"] == "room_sold_twice"]
        assert [tuple(f["others"]) for f in clashes] == [("online-1",), ("online-2",), ("online-3",)]
        stored = session.scalar(select(func.count()).select_from(NodeEvent))
    assert stored == recorded
    wait(lambda: len(node.status.conflicts()) == 9)  # the 3 clashes, each with its card and payment
    assert [c.rule for c in node.status.conflicts()][::3] == ["room_sold_twice"] * 3
    assert node.banner().text == "3 conflicts need staff"

    own_mosquitto.stop()  # a second reconnect
    wait(lambda: not node.link.online.is_set())
    own_mosquitto.start()
    wait(lambda: node.link.online.is_set() and running.link.connected.is_set())
    time.sleep(0.5)  # room for any redelivery to land (there is none to wait for)
    assert cloud.applied == applied
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(NodeEvent)) == recorded
    node.stop()


def _replayed(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return SqlLedger(session, site="hotel", now=datetime.now(UTC)).last_seq("desk-pc")
