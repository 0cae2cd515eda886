"""What the cloud sends a node is hostile input too: refused, counted, acknowledged (so it is
not redelivered forever), and nothing of it kept; a confirmation forgets what it names."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mqtt.codec import encode
from mqtt.messages import EventsStored
from mqtt.node_messages import ConflictItem, NodeConflicts, NodeReplica, PaymentTaken
from node.app import NodeSettings, PropertyNode

pytestmark = pytest.mark.unit
CMD = "posada/v1/hotel/nodes/desk-pc/cmd"
AT = datetime(2026, 12, 3, 22, tzinfo=UTC)


@dataclass
class Message:
    topic: str
    payload: bytes
    mid: int = 1
    qos: int = 1


@dataclass
class Client:
    acked: list[int] = field(default_factory=list)

    def ack(self, mid: int, qos: int) -> None:
        self.acked.append(mid)


@pytest.fixture
def node(tmp_path: Path) -> PropertyNode:
    return PropertyNode(
        NodeSettings(mqtt_url="mqtt://127.0.0.1:1", site="hotel", node="desk-pc", data_dir=tmp_path)
    )


def _deliver(node: PropertyNode, payload: bytes, topic: str = CMD) -> Client:
    client = Client()
    node.link._on_message(client, None, Message(topic, payload))  # type: ignore[arg-type]
    return client


@pytest.mark.parametrize(
    "payload",
    [
        b"\x00garbage",
        b'{"v":1,"type":"node.conflicts","source":"c","data":{"replayed_seq":-1}}',
        b'{"v":1,"type":"node.conflicts","source":"c","data":{"replayed_seq":1,'
        b'"items":[{"event_id":"e","reservation_id":"r","rule":"DROP TABLE"}]}}',
        b'{"v":2,"type":"events.stored","source":"c","data":{"ids":[]}}',
    ],
)
def test_hostile_command_is_refused_counted_and_acknowledged(node: PropertyNode, payload: bytes) -> None:
    client = _deliver(node, payload)
    assert client.acked == [1] and node.link.rejected == 1
    assert node.status.conflicts() == []


def test_conflicts_and_confirmations_are_applied(node: PropertyNode) -> None:
    entry = node.outbox.record(
        "node.payment",
        PaymentTaken(
            at=AT, reservation_id="w1", payment_id="p1", method="cash", amount_minor=1, currency="EUR"
        ),
        at=AT,
    )
    conflicts = NodeConflicts(
        replayed_seq=1, items=[ConflictItem(event_id=entry.id, reservation_id="w1", rule="room_sold_twice")]
    )
    _deliver(node, encode(type="node.conflicts", source="c", data=conflicts).to_json())
    _deliver(node, encode(type="events.stored", source="c", data=EventsStored(ids=[entry.id])).to_json())
    assert node.status.conflicts() == conflicts.items and node.outbox.pending() == (0, None)
    assert node.link.rejected == 0


def test_replica_from_the_cloud_is_kept_across_a_restart(node: PropertyNode, tmp_path: Path) -> None:
    replica = NodeReplica.model_validate_json(
        (Path(__file__).parents[1] / "mqtt/golden/cmd-node.replica.json")
        .read_text()
        .split('"data":', 1)[1]
        .rsplit("}", 1)[0]
    )
    _deliver(node, encode(type="node.replica", source="c", data=replica).to_json())
    again = PropertyNode(
        NodeSettings(mqtt_url="mqtt://127.0.0.1:1", site="hotel", node="desk-pc", data_dir=tmp_path)
    )
    assert again.status.replica() == replica and node.link.rejected == 0
