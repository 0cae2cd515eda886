"""The replica a node receives: the property's rooms and the stays of the coming days (booked
and in house, with their rooms and rates), nothing cancelled or beyond; sent when the node comes
online."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloud.core.db import make_sessionmaker
from cloud.ingest.link import Inbound
from cloud.node.ingest import NodeIngest
from cloud.node.replica import snapshot
from cloud.reservations.sales.booking import Booking, book
from cloud.reservations.sales.cancellation import cancel
from cloud.setup.demo import seed_demo
from mqtt.codec import encode
from mqtt.messages import GatewayStatus
from tests.cloud.node.test_ingest import StandInLink

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)


@pytest.fixture
def sessions(sqlite_only: Engine) -> Iterator[sessionmaker[Session]]:
    maker: sessionmaker[Session] = make_sessionmaker(sqlite_only)
    with maker.begin() as s:
        seed_demo(s)
        for arrival, name in (
            (date(2027, 3, 1), "Today"),
            (date(2027, 3, 20), "Later"),
            (date(2027, 3, 2), "Cancelled"),
        ):
            res = book(
                s,
                Booking(
                    property="hotel",
                    room_type="std",
                    rate_plan="flex",
                    arrival=arrival,
                    departure=date(arrival.year, 3, arrival.day + 2),
                    guest_name=name,
                ),
                now=NOW,
            )
            s.flush()
            if name == "Cancelled":
                cancel(s, res, now=NOW)
    yield maker


def test_replica_holds_the_rooms_and_the_coming_days_stays(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        replica = snapshot(s, site="hotel", node="desk-pc", now=NOW)
    assert len(replica.rooms) == 20 and replica.first_night == date(2027, 3, 1)
    (stay,) = replica.stays
    assert stay.arrival == date(2027, 3, 1) and stay.status == "booked"
    assert stay.room and stay.room_type == "std" and stay.rate_minor and stay.guest_sealed == ""


def test_replica_is_sent_when_a_node_comes_online(sessions: sessionmaker[Session]) -> None:
    link = StandInLink()
    ingest = NodeIngest(link, sessions, desk_for=lambda s, site: (None, None))  # type: ignore[arg-type,return-value]
    online = encode(
        type="gateway.status", source="node-desk-pc", data=GatewayStatus(state="online")
    ).to_json()
    ingest.handle(
        [
            Inbound("posada/v1/hotel/nodes/desk-pc/status", online, 1, 1),
            Inbound("posada/v1/nowhere/nodes/desk-pc/status", online, 2, 1),
        ]
    )
    ((topic, payload),) = link.published
    assert topic == "posada/v1/hotel/nodes/desk-pc/cmd"
    assert json.loads(payload)["type"] == "node.replica" and ingest.replicas_sent == 1
