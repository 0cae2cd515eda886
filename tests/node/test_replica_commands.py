"""The node's side of the replica feed: a whole picture replaces the one held, a delta that
follows it is applied, one that does not is answered on the node's ``ack`` as behind."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cloud.node.replica_delta import diff
from mqtt.codec import encode
from mqtt.messages import Data
from mqtt.node_messages import NodeReplica, ReplicaRoom
from mqtt.node_topics import decode_node
from node.app import NodeSettings, PropertyNode

pytestmark = pytest.mark.unit
AS_OF = datetime(2027, 3, 1, 9, tzinfo=UTC)
CMD = "posada/v1/hotel/nodes/desk-pc/cmd"


def _picture(version: int, rooms: list[str]) -> NodeReplica:
    return NodeReplica(
        as_of=AS_OF,
        first_night=AS_OF.date(),
        days=7,
        version=version,
        rooms=[ReplicaRoom(room=r, room_type="std") for r in rooms],
    )


def _send(node: PropertyNode, type_: str, data: Data) -> str:
    raw = encode(type=type_, source="posada-cloud", data=data)
    node._command(decode_node(CMD, raw.to_json()))
    return raw.id


def test_a_delta_the_node_cannot_follow_is_answered_as_behind(tmp_path: Path) -> None:
    node = PropertyNode(
        NodeSettings(mqtt_url="mqtt://127.0.0.1:9", site="hotel", node="desk-pc", data_dir=tmp_path)
    )
    answered: list[tuple[str, bool, str]] = []
    node.link.ack = lambda command_id, *, ok=True, error="": answered.append((command_id, ok, error))  # type: ignore[method-assign]
    _send(node, "node.replica", _picture(1, ["101"]))
    _send(node, "node.replica_delta", diff(_picture(1, ["101"]), _picture(2, ["101", "102"])))
    replica = node.status.replica()
    assert replica is not None and replica.version == 2 and answered == []
    lost = _send(node, "node.replica_delta", diff(_picture(3, ["101"]), _picture(4, ["101"])))
    ((command_id, ok, error),) = answered
    assert (command_id, ok) == (lost, False) and error.startswith("replica_behind")
    node.outbox.close()
