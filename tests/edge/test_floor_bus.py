"""A 'pi' gateway with a real firmware door node on a pty: taps, doors, remote unlock, a silent node."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.app import Gateway, build
from edge.config import load_config
from edge.hw.sim_node import SimNode, SimulatedBus, SimulatedDoorNode
from edge.sim import SimulatedDesk
from firmware.doornode import frame as fr
from firmware.doornode.clock import ticks_ms
from mqtt.keycard import Area
from mqtt.messages import CredentialRevoke, RemoteUnlock
from tests.edge.cloud_peer import wait_until


@pytest.fixture
def node() -> Iterator[SimulatedDoorNode]:
    door = SimulatedDoorNode(7, link_timeout_ms=300, decision_timeout_ms=400, reread_ms=100).start()
    yield door
    door.close()


@pytest.fixture
def gateway(node: SimulatedDoorNode, tmp_path: Path) -> Iterator[Gateway]:
    config = load_config(env={}, overrides={
        "site": "hotel", "floor": "f1", "rooms": ["101", "102"], "data_dir": tmp_path,
        "site_number": 4, "floor_number": 1, "trust_system_clock": True, "hardware": "pi",
        "serial_url": node.device, "door_nodes": {"101": 7}, "unlock_s": 1,
    })
    gw, simulator = build(config)
    assert simulator is None and gw.hardware is not None
    gw.hardware.start(gw)
    _linked(node)
    yield gw
    gw.hardware.stop()
    gw.store.close()


def _linked(node: SimNode | SimulatedDoorNode) -> None:
    """Until the gateway's first poll reaches a node, the node decides a card itself (offline)."""
    wait_until(lambda: node.node.link_up(ticks_ms()), timeout=20, what="the gateway polling the node")


def _events(gw: Gateway) -> list[tuple[str, str | None]]:
    return [(e.type, e.data.get("reason")) for e in gw.store.after(0, limit=100)]


def test_a_card_at_the_door_node_is_judged_by_the_gateway(gateway: Gateway, node: SimulatedDoorNode) -> None:
    desk = SimulatedDesk.load_or_create(gateway.store, site=4, floor=1)
    ack = gateway.command("key.upsert", desk.key_command())
    assert ack is not None and ack.ok
    node.tap(desk.issue("101", now=gateway.now()))
    wait_until(lambda: ("access.granted", "granted") in _events(gateway), timeout=20, what="grant")
    assert node.lock.wait_for(1, timeout=2.0)
    node.tap(os.urandom(20))
    wait_until(lambda: ("access.denied", "malformed") in _events(gateway), timeout=20, what="refusal")
    assert gateway.room("101").last_access is not None


def test_door_contacts_at_the_node_drive_the_room_state(gateway: Gateway, node: SimulatedDoorNode) -> None:
    node.set_door(is_open=True)
    wait_until(lambda: gateway.room("101").door == "open", timeout=20, what="door open")
    node.set_door(is_open=False)
    wait_until(lambda: gateway.room("101").door == "closed", timeout=20, what="door closed")
    types = [t for t, _ in _events(gateway)]
    assert types.count("door.closed") >= 1 and "door.opened" in types


def test_a_door_opened_with_no_grant_is_forced_and_one_after_a_grant_is_not(
    gateway: Gateway, node: SimulatedDoorNode
) -> None:
    wait_until(lambda: gateway.room("101").door == "closed", timeout=20, what="the node's first report")
    node.set_door(is_open=True)
    wait_until(lambda: ("door.forced", None) in _events(gateway), timeout=20, what="door.forced")
    forced = [e for e in gateway.store.after(0, limit=100) if e.type == "door.forced"]
    assert [e.data for e in forced] == [{"room": "101", "door": "101"}]
    node.set_door(is_open=False)
    wait_until(lambda: gateway.room("101").door == "closed", timeout=20, what="door closed")
    ack = gateway.command("door.unlock", RemoteUnlock(room="101", seconds=1))
    assert ack is not None and ack.ok
    node.set_door(is_open=True)
    wait_until(lambda: gateway.room("101").door == "open", timeout=20, what="door open")
    assert [t for t, _ in _events(gateway)].count("door.forced") == 1


def test_remote_unlock_reaches_the_lock(gateway: Gateway, node: SimulatedDoorNode) -> None:
    ack = gateway.command("door.unlock", RemoteUnlock(room="101", seconds=1))
    assert ack is not None and ack.ok
    assert node.lock.wait_for(1, timeout=2.0)
    assert ("access.granted", "remote") in _events(gateway)


def test_a_silent_node_is_reported_offline_and_its_unlock_refused(
    gateway: Gateway, node: SimulatedDoorNode
) -> None:
    node._stop.set()  # the node stops answering; the wire stays
    node._thread.join(2)
    wait_until(lambda: ("node.offline", None) in _events(gateway), timeout=10, what="node.offline")
    ack = gateway.command("door.unlock", RemoteUnlock(room="101", seconds=1))
    assert ack is not None and not ack.ok and "did not answer" in ack.error


def test_a_pir_on_the_gpio_marks_the_guest_present(node: SimulatedDoorNode, tmp_path: Path) -> None:
    from gpiozero.pins.mock import MockFactory

    from edge.floor_bus import BusFloor

    factory = MockFactory()
    config = load_config(env={}, overrides={
        "site": "hotel", "floor": "f1", "rooms": ["101", "102"], "data_dir": tmp_path, "site_number": 4,
        "floor_number": 1, "hardware": "pi", "serial_url": node.device, "door_nodes": {"101": 7},
        "motion_pins": {"102": 24},
    })
    hardware = BusFloor(port_url=node.device, nodes=config.door_nodes, motion_pins=config.motion_pins,
                        pin_factory=factory)
    gw = Gateway(config, hardware=hardware)
    hardware.start(gw)
    try:
        factory.pin(24).drive_high()  # the detector took its first sample before start returned
        wait_until(lambda: gw.room("102").guest_present, timeout=20, what="presence from the PIR")
        assert "room.occupancy" in [e.type for e in gw.store.after(0, limit=5)]
    finally:
        hardware.stop()
        factory.reset()
        gw.store.close()


def test_the_room_shows_the_lock_the_node_reports(gateway: Gateway, node: SimulatedDoorNode) -> None:
    wait_until(lambda: gateway.room("101").lock == "locked", timeout=20, what="the boot report")
    ack = gateway.command("door.unlock", RemoteUnlock(room="101", seconds=1))
    assert ack is not None and ack.ok
    wait_until(lambda: gateway.room("101").lock == "unlocked", timeout=20, what="released")
    wait_until(lambda: gateway.room("101").lock == "locked", timeout=20, what="locked again")
    assert gateway.room("102").lock == "unknown"  # no node, nothing reported


def test_a_silent_reader_is_a_node_fault_event(gateway: Gateway, node: SimulatedDoorNode) -> None:
    node.reader.report_fault(fr.FAULT_READER_SILENT)
    wait_until(lambda: ("node.fault", None) in _events(gateway), timeout=20, what="node.fault")
    faults = [e.data for e in gateway.store.after(0, limit=100) if e.type == "node.fault"]
    assert faults == [{"room": "101", "door": "101", "node": 7, "fault": "reader_silent"}]
    assert gateway.room("101").lock != "unlocked"


def test_a_door_opened_from_inside_by_the_handle_is_not_forced(
    gateway: Gateway, node: SimulatedDoorNode
) -> None:
    wait_until(lambda: gateway.room("101").door == "closed", timeout=20, what="the node's first report")
    node.turn_handle(held=True)
    time.sleep(0.1)  # debounced and polled
    node.set_door(is_open=True)
    wait_until(lambda: gateway.room("101").door == "open", timeout=20, what="door open")
    node.turn_handle(held=False)
    assert "door.forced" not in [t for t, _ in _events(gateway)]


def test_a_pool_reader_on_the_bus_decides_with_the_card_s_areas(tmp_path: Path) -> None:
    bus = SimulatedBus([7, 9], link_timeout_ms=300, decision_timeout_ms=400, reread_ms=100).start()
    config = load_config(env={}, overrides={
        "site": "hotel", "floor": "f1", "rooms": ["101"], "data_dir": tmp_path, "site_number": 4,
        "floor_number": 1, "trust_system_clock": True, "hardware": "pi", "serial_url": bus.device,
        "door_nodes": {"101": 7},
        "facility_doors": {"pool": {"node": 9, "area": "pool", "hours": "00:00-24:00"}},
    })
    gw, _ = build(config)
    assert gw.hardware is not None
    gw.hardware.start(gw)
    try:
        desk = SimulatedDesk.load_or_create(gw.store, site=4, floor=1)
        ack = gw.command("key.upsert", desk.key_command())
        assert ack is not None and ack.ok
        pool = bus.nodes[9]
        _linked(pool)
        pool.tap(desk.issue("101", now=gw.now()))  # no pool on this card
        wait_until(lambda: ("access.denied", "wrong_door") in _events(gw), timeout=20, what="refusal")
        pool.tap(desk.issue("101", now=gw.now(), areas=Area.POOL))
        wait_until(lambda: ("access.granted", "granted") in _events(gw), timeout=20, what="grant")
        assert pool.lock.wait_for(1, timeout=2.0)
        pool.reader.report_fault(fr.FAULT_TWO_CARDS)
        wait_until(lambda: ("node.fault", None) in _events(gw), timeout=20, what="fault")
        at_pool = [e.data for e in gw.store.after(0, limit=100) if e.data.get("door") == "pool"]
        assert all("room" not in data for data in at_pool)
        assert {"door": "pool", "node": 9, "fault": "two_cards"} in at_pool
        assert bus.nodes[7].lock.level == 0  # the room's door never moved
    finally:
        gw.hardware.stop()
        bus.close()
        gw.store.close()


def test_a_time_clock_on_the_bus_punches_staff_cards_and_refuses_a_revoked_one(tmp_path: Path) -> None:
    bus = SimulatedBus([7, 9], link_timeout_ms=300, decision_timeout_ms=400, reread_ms=100).start()
    config = load_config(
        env={},
        overrides={
            "site": "hotel",
            "floor": "f1",
            "rooms": ["101"],
            "data_dir": tmp_path,
            "site_number": 4,
            "floor_number": 1,
            "trust_system_clock": True,
            "hardware": "pi",
            "serial_url": bus.device,
            "door_nodes": {"101": 7},
            "facility_doors": {"clock-1": {"node": 9, "area": "staff", "mode": "clock"}},
        },
    )
    gw, _ = build(config)
    assert gw.hardware is not None
    gw.hardware.start(gw)

    def punches() -> list[tuple[bool, str, str | None]]:
        return [
            (e.data["accepted"], e.data["reason"], e.data.get("credential_id"))
            for e in gw.store.after(0, limit=100)
            if e.type == "staff.punch"
        ]

    try:
        desk = SimulatedDesk.load_or_create(gw.store, site=4, floor=1)
        assert gw.command("key.upsert", desk.key_command()).ok  # type: ignore[union-attr]
        card, credential = desk.staff(now=gw.now())
        clock = bus.nodes[9]
        _linked(clock)
        clock.tap(card)
        wait_until(lambda: (True, "granted", credential) in punches(), timeout=20, what="punch")
        clock.tap(desk.issue("101", now=gw.now()))  # a guest card is no punch
        wait_until(lambda: any(r == "wrong_door" for _, r, _ in punches()), timeout=20, what="guest refused")
        revoke = CredentialRevoke(credential_id=credential)
        assert gw.command("credential.revoke", revoke).ok  # type: ignore[union-attr]
        clock.tap(card)
        wait_until(lambda: (False, "revoked", credential) in punches(), timeout=20, what="revoked refused")
        assert [a for a, _, c in punches() if c == credential] == [True, False]
        assert not [e for e in gw.store.after(0, limit=100) if e.type.startswith("access.")]
    finally:
        gw.hardware.stop()
        bus.close()
        gw.store.close()
