"""The cloud's MQTT link acks a committed batch to the broker in one write."""

from __future__ import annotations

import pytest

from cloud.ingest.link import CloudLink, Inbound

pytestmark = pytest.mark.unit


class _Paho:
    """paho's queue of outgoing packets, as the link uses it."""

    def __init__(self) -> None:
        self.queued: list[tuple[int, bytes, int, int]] = []
        self.acked: list[tuple[int, int]] = []

    def _packet_queue(self, command: int, packet: bytes, mid: int, qos: int) -> None:
        self.queued.append((command, packet, mid, qos))

    def ack(self, mid: int, qos: int) -> None:
        self.acked.append((mid, qos))


def test_a_batch_is_acked_in_one_packet_of_pubacks_and_qos_0_not_at_all() -> None:
    link = CloudLink("mqtt://127.0.0.1:1", client_id="ack-test")
    fake = _Paho()
    link._client = fake  # type: ignore[assignment]
    link.ack_all([Inbound("t", b"", 7, 1), Inbound("t", b"", 0, 0), Inbound("t", b"", 65535, 1)])
    assert fake.queued == [(0x40, b"\x40\x02\x00\x07\x40\x02\xff\xff", 0, 0)] and fake.acked == []
    link.ack_all([Inbound("t", b"", 0, 0)])
    assert len(fake.queued) == 1  # nothing to ack: nothing sent
