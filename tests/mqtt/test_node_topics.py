"""The property node's topic family: grammar, decoding with the shared models, its ACL."""

from __future__ import annotations

from pathlib import Path

import pytest

from mqtt.codec import ContractError
from mqtt.node_messages import CheckIn
from mqtt.node_topics import NodeTopic, decode_node, node_acl, parse_node_topic
from mqtt.topics import Kind, TopicError

pytestmark = pytest.mark.unit
GOLDEN = Path(__file__).parent / "golden"


def test_node_topic_round_trips() -> None:
    topic = NodeTopic(Kind.EVENTS, "hotel", "desk-pc")
    assert str(topic) == "posada/v1/hotel/nodes/desk-pc/events"
    assert parse_node_topic(str(topic)) == topic


@pytest.mark.parametrize(
    "topic",
    [
        "posada/v1/hotel/nodes/desk-pc/telemetry",
        "posada/v1/hotel/nodes/Desk/events",
        "posada/v1/hotel/nodes/" + "x" * 21 + "/events",
        "posada/v1/hotel/f1/events",
        "posada/v1/hotel/nodes/desk-pc/events/extra",
    ],
)
def test_topics_outside_the_family_are_refused(topic: str) -> None:
    with pytest.raises(TopicError):
        parse_node_topic(topic)


def test_node_event_decodes_with_the_shared_models() -> None:
    payload = (GOLDEN / "events-node.check_in.json").read_bytes().strip()
    message = decode_node("posada/v1/hotel/nodes/desk-pc/events", payload)
    assert isinstance(message.data, CheckIn) and message.envelope.seq == 1


def test_hostile_node_payload_is_refused_with_its_reason() -> None:
    payload = (
        (GOLDEN / "events-node.check_in.json")
        .read_bytes()
        .replace(b'"departure":"2026-12-05"', b'"departure":"2026-12-01"')
    )
    with pytest.raises(ContractError) as info:
        decode_node("posada/v1/hotel/nodes/desk-pc/events", payload)
    assert info.value.reason == "data"


def test_node_may_write_only_its_own_topics_and_read_its_cmd() -> None:
    assert node_acl("hotel", "desk-pc") == [
        "user nd.hotel.desk-pc",
        "topic write posada/v1/hotel/nodes/desk-pc/status",
        "topic write posada/v1/hotel/nodes/desk-pc/events",
        "topic write posada/v1/hotel/nodes/desk-pc/ack",
        "topic read posada/v1/hotel/nodes/desk-pc/cmd",
    ]
