"""The contract between floor gateways and the cloud: topics, envelope, message models."""

from mqtt import (
    access_messages,  # noqa: F401  registers key.upsert / key.retire
    node_messages,  # noqa: F401  registers the property node's operations
)
from mqtt.codec import ContractError, Rejections, decode, encode
from mqtt.envelope import SCHEMA_VERSION, Envelope, new_id, utcnow
from mqtt.topics import Kind, Topic, parse_topic

__all__ = [
    "SCHEMA_VERSION",
    "ContractError",
    "Envelope",
    "Kind",
    "Rejections",
    "Topic",
    "decode",
    "encode",
    "new_id",
    "parse_topic",
    "utcnow",
]
