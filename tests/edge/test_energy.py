"""Energy saving from vacancy: the pure rule, the saver on a gateway, the relays on GPIO."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from edge.app import Gateway
from edge.config import load_config
from edge.energy import EnergyPolicy, RoomEnergy, step, wants_setback
from edge.energy_ledger import MemoryEnergyLedger
from edge.energy_saver import EnergySaver
from edge.hw.room_power import RelayRoomPower, SimulatedRoomPower
from edge.room_state import Room
from edge.sim import SimulatedDoors

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
POLICY = EnergyPolicy(comfort_c=21.0, setback_c=4.0, after=timedelta(minutes=20), kw_per_c=0.05)


def _room(**fields: object) -> Room:
    values: dict[str, object] = {"room": "101", "door": "closed", "door_changed_at": T0}
    values.update(fields)
    return Room(**values)  # type: ignore[arg-type]


def test_an_empty_room_is_set_back_only_after_the_quiet_time() -> None:
    assert not wants_setback(_room(), T0 + timedelta(minutes=19), POLICY)
    assert wants_setback(_room(), T0 + timedelta(minutes=20), POLICY)
    sold_but_out = _room(occupied=True, guest_present=False)
    assert wants_setback(sold_but_out, T0 + timedelta(minutes=30), POLICY)


def test_someone_in_an_open_door_or_a_fresh_grant_keeps_comfort() -> None:
    later = T0 + timedelta(hours=2)
    assert not wants_setback(_room(guest_present=True), later, POLICY)
    assert not wants_setback(_room(door="open"), later, POLICY)
    assert not wants_setback(_room(door="unknown"), later, POLICY)
    assert not wants_setback(_room(authorised_at=later - timedelta(minutes=1)), later, POLICY)


def test_setback_then_the_guest_s_card_restores_comfort_and_counts_the_saving() -> None:
    energy = RoomEnergy(room="101")
    energy, change = step(energy, _room(), T0 + timedelta(minutes=20), POLICY)
    assert change is not None and (change.setpoint_c, change.lights_on) == (17.0, False)
    energy, again = step(energy, _room(), T0 + timedelta(minutes=50), POLICY)
    assert again is None  # no change, no event
    back = _room(authorised_at=T0 + timedelta(hours=2, minutes=20))
    energy, change = step(energy, back, T0 + timedelta(hours=2, minutes=20), POLICY)
    assert change is not None and (change.setpoint_c, change.lights_on) == (21.0, True)
    assert energy.saved_kwh == pytest.approx(2 * 4.0 * 0.05)  # 2 h at 4 degrees, 0.05 kW each


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    f = MockFactory()
    yield f
    f.reset()


def test_relays_follow_the_mode(factory: MockFactory) -> None:
    power = RelayRoomPower(setback_pin=5, lights_pin=6, pin_factory=factory)
    assert factory.pin(5).state == 0 and factory.pin(6).state == 1
    power.apply(setback=True, setpoint_c=17.0, lights_on=False)
    assert factory.pin(5).state == 1 and factory.pin(6).state == 0
    power.apply(setback=False, setpoint_c=21.0, lights_on=True)
    assert factory.pin(5).state == 0 and factory.pin(6).state == 1
    power.close()


def test_the_gateway_sets_back_a_quiet_room_and_records_it(tmp_path: Path) -> None:
    config = load_config(env={}, overrides={
        "site": "hotel", "floor": "f1", "rooms": ["101", "102"], "data_dir": tmp_path, "site_number": 4,
        "floor_number": 1, "trust_system_clock": True, "setback_c": 3, "setback_after_s": 0,
    })
    gateway = Gateway(config, hardware=SimulatedDoors())
    power = {"101": SimulatedRoomPower(), "102": SimulatedRoomPower()}
    try:
        saver = gateway.save_energy(power)
        assert saver is not None
        gateway.door_contact("101", open=False)
        gateway.door_contact("102", open=True)
        saver.tick(gateway.now() + timedelta(seconds=1))
        assert power["101"].setback and power["101"].setpoint_c == 18.0 and not power["101"].lights_on
        assert not power["102"].setback and power["102"].applied == 0
        events = [e for e in gateway.store.after(0, limit=50) if e.type == "room.setback"]
        assert [e.data for e in events] == [{"room": "101", "setback": True, "setpoint_c": 18.0,
                                              "saved_kwh": 0.0}]
    finally:
        gateway.store.close()


def test_energy_saving_is_off_unless_the_floor_sets_it(tmp_path: Path) -> None:
    config = load_config(env={}, overrides={
        "site": "hotel", "floor": "f1", "rooms": ["101"], "data_dir": tmp_path, "site_number": 4,
        "floor_number": 1, "trust_system_clock": True,
    })
    gateway = Gateway(config, hardware=SimulatedDoors())
    try:
        assert gateway.save_energy({"101": SimulatedRoomPower()}) is None
    finally:
        gateway.store.close()


def _floor(tmp_path: Path) -> Gateway:
    config = load_config(env={}, overrides={
        "site": "hotel", "floor": "f1", "rooms": ["101"], "data_dir": tmp_path, "site_number": 4,
        "floor_number": 1, "trust_system_clock": True, "setback_c": 4, "setback_after_s": 0,
        "hvac_kw_per_c": 0.05,
    })
    return Gateway(config, hardware=SimulatedDoors())


def test_the_saving_total_survives_a_gateway_restart(tmp_path: Path) -> None:
    gateway = _floor(tmp_path)
    try:
        saver = gateway.save_energy({"101": SimulatedRoomPower()})
        assert saver is not None
        gateway.door_contact("101", open=False)
        start = gateway.now() + timedelta(seconds=1)
        saver.tick(start)
        saver.close(start + timedelta(hours=2))  # a stop counts the setback held so far
    finally:
        gateway.store.close()
    again = _floor(tmp_path)
    try:
        saver = again.save_energy({"101": SimulatedRoomPower()})
        assert saver is not None
        assert saver.energy["101"].saved_kwh == pytest.approx(2 * 4 * 0.05)
        assert not saver.energy["101"].setback  # the relays start in comfort
        saver.tick(again.now() + timedelta(seconds=1))
        event = [e for e in again.store.after(0, limit=50) if e.type == "room.setback"][-1]
        assert event.data["setback"] and event.data["saved_kwh"] == pytest.approx(0.4)
    finally:
        again.store.close()


def test_a_stop_without_a_setback_leaves_the_total_alone() -> None:
    ledger = MemoryEnergyLedger()
    ledger.save(RoomEnergy(room="101", saved_kwh=1.5))
    power = SimulatedRoomPower()
    saver = EnergySaver(policy=POLICY, power={"101": power}, room=lambda _n: _room(guest_present=True),
                        record=lambda _t, _d: None, ledger=ledger)
    saver.tick(T0 + timedelta(hours=1))
    saver.close(T0 + timedelta(hours=3))
    assert ledger.rows["101"].saved_kwh == 1.5 and power.applied == 0
