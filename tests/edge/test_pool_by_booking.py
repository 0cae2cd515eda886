"""A pool door that opens by booking, through the gateway itself: the cloud's ``facility.slot``
command arrives on the command inbox, and the stay's own card opens the door only within the slot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from edge.access.decision import Reason
from edge.app import Gateway
from edge.config import load_config
from edge.sim import SimulatedDesk, SimulatedDoors
from mqtt.access_messages import FacilitySlot
from mqtt.keycard import Area


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    config = load_config(env={}, overrides={
        "site": "hotel", "floor": "f1", "rooms": ["301"], "data_dir": tmp_path, "site_number": 4,
        "floor_number": 3, "trust_system_clock": True,
        "facility_doors": {"pool": {"node": 9, "area": "pool", "by_booking": True}}})
    gw = Gateway(config, hardware=SimulatedDoors())
    yield gw
    gw.store.close()


def test_the_stays_card_opens_the_pool_only_within_the_slot_the_cloud_sent(gateway: Gateway) -> None:
    desk = SimulatedDesk.load_or_create(gateway.store, site=4, floor=3)
    assert gateway.command("key.upsert", desk.key_command()).ok  # type: ignore[union-attr]
    now = gateway.now()
    card = desk.issue("301", now=now, areas=Area.POOL)
    assert gateway.decide_facility("pool", card).reason is Reason.NOT_BOOKED
    slot = {"booking_id": "b1", "area": "pool", "floor": 3, "room": 301, "start": now - timedelta(minutes=5),
            "end": now + timedelta(minutes=55)}
    ack = gateway.command("facility.slot", FacilitySlot.model_validate(slot))
    assert ack is not None and ack.ok
    assert gateway.decide_facility("pool", card).granted
    other = desk.issue("301", now=now, areas=Area.POOL)  # any card of the stay's room
    assert gateway.decide_facility("pool", other).granted
    later = {**slot, "booking_id": "b2", "start": now + timedelta(hours=2), "end": now + timedelta(hours=3)}
    gateway.command("facility.slot", FacilitySlot.model_validate({**slot, "cancelled": True}))
    gateway.command("facility.slot", FacilitySlot.model_validate(later))
    assert gateway.decide_facility("pool", card).reason is Reason.NOT_BOOKED
