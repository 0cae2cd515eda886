"""The node writes the card it signed onto the tag on its reader, reads it back, and reports the
tag's UID in ``node.card``; a card not written records nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.desk.encoder import EncodeResult
from edge.hw import ntag
from mqtt.node_messages import CardEncoded
from node.app import NodeSettings, PropertyNode
from node.desk import DeskError
from node.encoder import CardWriter, SimulatedWriter, from_setting
from node.front_desk import FrontDesk
from tests.node.test_pages import _node as _pages_node
from tests.node.test_pages import now


class _NoTag:
    """A reader nobody lays a card on."""

    def write(self, card: bytes) -> EncodeResult:
        return EncodeResult(reason="no_tag", detail="no new card presented within 20 s")

    def close(self) -> None:
        pass


def _node(path: Path, writer: CardWriter | None) -> PropertyNode:
    node = _pages_node(path, encoder=writer)
    FrontDesk(node).check_in("b1", room="101", staff="ana", today=now().date())
    return node


@pytest.fixture
def writer() -> Iterator[SimulatedWriter]:
    found = SimulatedWriter()
    yield found
    found.close()


def test_the_card_goes_onto_the_tag_and_its_uid_into_the_event(
    tmp_path: Path, writer: SimulatedWriter
) -> None:
    node = _node(tmp_path, writer)
    card = FrontDesk(node).encode_card("b1", staff="ana", today=now().date())
    (tag,) = writer.written
    assert ntag.read_card(tag) == card.data  # what the door reads is what the node signed
    assert card.uid == tag.uid.hex()
    encoded = node.outbox.pending_operations()[-1]
    assert isinstance(encoded, CardEncoded) and encoded.uid == tag.uid.hex() and len(encoded.uid) == 14
    FrontDesk(node).encode_card("b1", staff="ana", today=now().date())  # a second card: a second tag
    assert [op.uid for op in node.outbox.pending_operations() if isinstance(op, CardEncoded)] == [
        t.uid.hex() for t in writer.written
    ]
    node.outbox.close()


def test_a_card_not_written_records_nothing(tmp_path: Path) -> None:
    node = _node(tmp_path, _NoTag())
    with pytest.raises(DeskError) as refused:
        FrontDesk(node).encode_card("b1", staff="ana", today=now().date())
    assert refused.value.reason == "card_not_written" and "no_tag" in str(refused.value)
    assert not [op for op in node.outbox.pending_operations() if isinstance(op, CardEncoded)]
    node.outbox.close()


def test_without_a_writer_the_card_is_handed_over_and_no_uid_is_claimed(tmp_path: Path) -> None:
    node = _node(tmp_path, None)
    FrontDesk(node).encode_card("b1", staff="ana", today=now().date())
    encoded = node.outbox.pending_operations()[-1]
    assert isinstance(encoded, CardEncoded) and encoded.uid is None
    node.outbox.close()


def test_the_writer_setting() -> None:
    assert from_setting("") is None
    assert isinstance(from_setting("simulate"), SimulatedWriter)
    for bad in ("nfc", "simulate:x", "libnfc2"):
        with pytest.raises(ValueError, match="POSADA_NODE_ENCODER"):
            from_setting(bad)
    env = {"POSADA_NODE_MQTT_URL": "mqtt://x", "POSADA_NODE_SITE": "hotel", "POSADA_NODE_NAME": "desk-pc"}
    assert NodeSettings.from_env({**env, "POSADA_NODE_ENCODER": "libnfc:pn532_uart:/dev/ttyUSB0"}).encoder
    with pytest.raises(ValueError, match="POSADA_NODE_ENCODER"):
        NodeSettings.from_env({**env, "POSADA_NODE_ENCODER": "usb"})
