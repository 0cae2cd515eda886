"""Topics of property nodes: ``posada/v1/{site}/nodes/{node}/{events|cmd|ack|status}``.

A node publishes its operations on ``events`` (QoS 1, from its outbox) and its ``status``
(retained, also its last will); the cloud confirms stored events and feeds the replica on
``cmd``; the node acknowledges commands on ``ack``. The payloads are the same envelopes as a
floor's, so the same codec and models validate them.
"""

from __future__ import annotations

from dataclasses import dataclass

from mqtt.codec import ContractError, Message, decode, decode_envelope
from mqtt.envelope import Envelope
from mqtt.topics import PREFIX, Kind, TopicError, check_slug

NODE_KINDS = (Kind.STATUS, Kind.EVENTS, Kind.CMD, Kind.ACK)
NODE_WRITES = ("status", "events", "ack")
MAX_NODE = 20  # a node's slug also names its invoice series (32 characters in all)


@dataclass(frozen=True, slots=True)
class NodeTopic:
    kind: Kind
    site: str
    node: str

    def __post_init__(self) -> None:
        check_slug(self.site, "site")
        check_node(self.node)
        if self.kind not in NODE_KINDS:
            raise TopicError(f"a node has no {self.kind} topic")

    def __str__(self) -> str:
        return f"{PREFIX}/{self.site}/nodes/{self.node}/{self.kind.value}"


def check_node(node: str) -> str:
    check_slug(node, "node")
    if len(node) > MAX_NODE:
        raise TopicError(f"node {node[:70]!r} is longer than {MAX_NODE} characters")
    return node


def parse_node_topic(topic: str) -> NodeTopic:
    parts = topic.split("/")
    if len(parts) != 6 or "/".join(parts[:2]) != PREFIX or parts[3] != "nodes":
        raise TopicError(f"not a node topic: {topic[:200]!r}")
    try:
        kind = Kind(parts[5])
    except ValueError:
        raise TopicError(f"unknown topic kind {parts[5][:50]!r}") from None
    return NodeTopic(kind, parts[2], parts[4])


def decode_node(topic: str, payload: bytes) -> Message:
    """Decode a node's payload with the floor codec (the models are shared by kind)."""
    try:
        parsed = parse_node_topic(topic)
    except TopicError as exc:
        raise ContractError("topic", str(exc)) from None
    return decode(f"{PREFIX}/{parsed.site}/node-{parsed.node}/{parsed.kind.value}", payload)


def node_envelope(topic: str, payload: bytes) -> Envelope:
    """Only the envelope of a node's payload (its id and sequence), e.g. to dead-letter an
    event whose data the cloud refuses."""
    try:
        parsed = parse_node_topic(topic)
    except TopicError as exc:
        raise ContractError("topic", str(exc)) from None
    return decode_envelope(f"{PREFIX}/{parsed.site}/node-{parsed.node}/{parsed.kind.value}", payload)[1]


def node_user(site: str, node: str) -> str:
    """The node's MQTT username (``nd.`` cannot be a gateway's ``gw.``)."""
    return f"nd.{check_slug(site, 'site')}.{check_node(node)}"


def node_acl(site: str, node: str) -> list[str]:
    """A node writes only its own status, events and acks, and reads only its own cmd."""
    base = f"{PREFIX}/{check_slug(site, 'site')}/nodes/{check_node(node)}"
    lines = [f"user {node_user(site, node)}"]
    lines += [f"topic write {base}/{w}" for w in NODE_WRITES]
    lines.append(f"topic read {base}/cmd")
    return lines


def subscriptions_for_cloud_nodes(share_group: str | None = None) -> list[str]:
    filters = [f"{PREFIX}/+/nodes/+/{k}" for k in NODE_WRITES]
    return [f"$share/{share_group}/{f}" for f in filters] if share_group else filters
