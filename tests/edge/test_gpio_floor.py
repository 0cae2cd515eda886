"""A 'pi' gateway driving rooms straight through GPIO (gpiozero's MockFactory) and a reader on the
Pi (the simulated NTAG reader), with no door node; and a floor that mixes both."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from edge.app import Gateway, pi_hardware
from edge.config import load_config
from edge.errors import ConfigError
from edge.gpio_floor import GpioFloor, MixedFloor
from edge.hw import ntag
from edge.hw.nfc import NfcReader
from edge.hw.nfc_errors import NfcUnavailable, TagError
from edge.hw.nfc_sim import SimulatedNtag, SimulatedReader
from edge.hw.sim_node import SimulatedDoorNode
from edge.sim import SimulatedDesk
from tests.edge.cloud_peer import wait_until

LOCK, CONTACT, PIR = 17, 27, 22
# How long a pin's change may take to reach the room's state: gpiozero's threads and the
# gateway's store on a loaded machine. A bound the gateway promises is checked on its own.
SETTLE_S = 30
ROOM = {"lock": LOCK, "contact": CONTACT, "pir": PIR, "reader": "pn532_i2c:/dev/i2c-1"}


def _config(tmp_path: Path, **overrides: object) -> object:
    values: dict[str, object] = {
        "site": "hotel", "floor": "f1", "rooms": ["101", "102"], "data_dir": tmp_path,
        "site_number": 4, "floor_number": 1, "trust_system_clock": True, "hardware": "pi",
        "gpio_rooms": {"101": ROOM}, "unlock_s": 1,
    }
    values.update(overrides)
    return load_config(env={}, overrides=values)


class Readers:
    """The reader each connstring opens (None: nothing answers there)."""

    def __init__(self) -> None:
        self.readers: dict[str, SimulatedReader | None] = {}

    def open(self, connstring: str) -> NfcReader:
        reader = self.readers.setdefault(connstring, SimulatedReader())
        if reader is None:
            raise NfcUnavailable("no_reader", f"no NFC reader could be opened at {connstring!r}")
        return reader


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    f = MockFactory()
    yield f
    f.reset()


@pytest.fixture
def readers() -> Readers:
    return Readers()


@pytest.fixture
def gateway(tmp_path: Path, factory: MockFactory, readers: Readers) -> Iterator[Gateway]:
    config = _config(tmp_path)
    hardware = pi_hardware(config, pin_factory=factory, open_reader=readers.open)  # type: ignore[arg-type]
    assert isinstance(hardware, GpioFloor)
    gw = Gateway(config, hardware=hardware)  # type: ignore[arg-type]
    hardware.start(gw)
    factory.pin(CONTACT).drive_low()  # door closed (the pull-up reads open until then)
    wait_until(lambda: gw.room("101").door == "closed", timeout=SETTLE_S, what="door closed")
    yield gw
    hardware.stop()
    gw.store.close()


def _types(gw: Gateway) -> list[str]:
    return [e.type for e in gw.store.after(0, limit=200)]


def _tag(card: bytes) -> SimulatedNtag:
    tag = SimulatedNtag()
    data = ntag.wrap(card)
    tag.memory[16:16 + len(data)] = data
    return tag


def test_a_card_at_the_pi_s_reader_opens_the_relay_and_the_room_shows_the_lock(
    gateway: Gateway, factory: MockFactory, readers: Readers
) -> None:
    desk = SimulatedDesk.load_or_create(gateway.store, site=4, floor=1)
    ack = gateway.command("key.upsert", desk.key_command())
    assert ack is not None and ack.ok
    assert gateway.room("101").lock == "locked"
    wait_until(lambda: readers.readers.get(ROOM["reader"]) is not None, timeout=5, what="reader open")
    reader = readers.readers[ROOM["reader"]]
    assert reader is not None
    reader.present(_tag(desk.issue("101", now=gateway.now())))
    wait_until(lambda: factory.pin(LOCK).state == 1, timeout=5, what="relay energised")
    reader.remove()
    assert gateway.room("101").lock == "unlocked" and "access.granted" in _types(gateway)
    wait_until(lambda: factory.pin(LOCK).state == 0, timeout=5, what="relocked")
    wait_until(lambda: gateway.room("101").lock == "locked", timeout=5, what="reported locked")
    assert _types(gateway).count("access.granted") == 1  # a card held on is one tap


def test_a_foreign_card_is_refused_and_the_relay_stays_off(
    gateway: Gateway, factory: MockFactory, readers: Readers
) -> None:
    wait_until(lambda: readers.readers.get(ROOM["reader"]) is not None, timeout=5, what="reader open")
    reader = readers.readers[ROOM["reader"]]
    assert reader is not None
    reader.present(_tag(b"P\x01" + bytes(104)))
    wait_until(lambda: "access.denied" in _types(gateway), timeout=5, what="refusal")
    reader.remove()
    assert factory.pin(LOCK).state == 0 and gateway.room("101").lock == "locked"


def test_door_contact_and_pir_on_the_gpio_drive_the_room(gateway: Gateway, factory: MockFactory) -> None:
    time.sleep(0.1)  # past the contact's 50 ms debounce
    factory.pin(CONTACT).drive_high()  # opened with no grant: forced
    wait_until(lambda: gateway.room("101").door == "open", timeout=SETTLE_S, what="open")
    factory.pin(CONTACT).drive_low()
    wait_until(lambda: gateway.room("101").door == "closed", timeout=SETTLE_S, what="closed")
    factory.pin(PIR).drive_high()  # the PIR is sampled by gpiozero's own thread, 10 times a second
    wait_until(lambda: gateway.room("101").guest_present, timeout=SETTLE_S, what="motion")
    assert "door.opened" in _types(gateway) and "door.forced" in _types(gateway)


def test_a_reader_that_cannot_be_opened_is_a_fault_and_the_door_stays_locked(
    tmp_path: Path, factory: MockFactory, readers: Readers
) -> None:
    readers.readers[ROOM["reader"]] = None
    config = _config(tmp_path)
    hardware = pi_hardware(config, pin_factory=factory, open_reader=readers.open)  # type: ignore[arg-type]
    gw = Gateway(config, hardware=hardware)  # type: ignore[arg-type]
    hardware.start(gw)
    try:
        wait_until(lambda: "node.fault" in _types(gw), timeout=5, what="node.fault")
        fault = next(e.data for e in gw.store.after(0, limit=50) if e.type == "node.fault")
        assert fault == {"room": "101", "fault": "reader_silent"}
        assert factory.pin(LOCK).state == 0
    finally:
        hardware.stop()
        gw.store.close()


def test_a_reader_that_stops_answering_is_reported_silent_within_5_s_and_the_door_stays_locked(
    gateway: Gateway, readers: Readers, factory: MockFactory
) -> None:
    wait_until(lambda: readers.readers.get(ROOM["reader"]) is not None, timeout=5, what="reader open")
    reader = readers.readers[ROOM["reader"]]
    assert reader is not None
    readers.readers[ROOM["reader"]] = None  # it cannot be opened again either

    def dead(*, timeout_s: float) -> None:
        raise NfcUnavailable("io", "the reader stopped answering")

    reader.wait_for_tag = dead  # type: ignore[method-assign,assignment]
    started = time.monotonic()
    wait_until(lambda: "node.fault" in _types(gateway), timeout=5, what="node.fault")
    assert time.monotonic() - started < 5
    faults = [e.data["fault"] for e in gateway.store.after(0, limit=50) if e.type == "node.fault"]
    assert faults == ["reader_silent"] and factory.pin(LOCK).state == 0


def test_a_card_torn_away_mid_read_is_a_fault_not_a_tap(gateway: Gateway, readers: Readers) -> None:
    class TornTag(SimulatedNtag):
        def transceive(self, command: bytes) -> bytes:
            if command[0] == ntag.READ and command[1] > 8:
                raise TagError("io", "tag left the field")
            return super().transceive(command)

    wait_until(lambda: readers.readers.get(ROOM["reader"]) is not None, timeout=5, what="reader open")
    reader = readers.readers[ROOM["reader"]]
    assert reader is not None
    torn = TornTag()
    torn.memory[16:16 + 120] = ntag.wrap(bytes(114))
    reader.present(torn)
    wait_until(lambda: "node.fault" in _types(gateway), timeout=5, what="node.fault")
    reader.remove()
    faults = [e.data["fault"] for e in gateway.store.after(0, limit=50) if e.type == "node.fault"]
    assert faults[0] == "card_torn" and not [t for t in _types(gateway) if t.startswith("access.")]


def test_gpio_rooms_are_read_from_the_floor_file(tmp_path: Path) -> None:
    path = tmp_path / "floor.toml"
    path.write_text(
        '[edge]\nsite = "hotel"\nfloor = "f1"\nrooms = ["101", "102"]\nsite_number = 4\n'
        'floor_number = 1\nhardware = "pi"\ndoor_nodes = {"102" = 3}\n\n'
        '[edge.gpio_rooms.101]\nlock = 17\ncontact = 27\npir = 22\nreader = "pn532_i2c:/dev/i2c-1"\n'
    )
    config = load_config(path, env={})
    assert config.gpio_rooms["101"].lock == 17 and config.gpio_rooms["101"].reader == "pn532_i2c:/dev/i2c-1"
    assert config.door_nodes == {"102": 3}


def test_gpio_settings_that_cannot_be_wired_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="door node and GPIO"):
        _config(tmp_path, door_nodes={"101": 3})
    with pytest.raises(ConfigError, match="more than once"):
        _config(tmp_path, gpio_rooms={"101": ROOM, "102": {"lock": LOCK, "contact": 5}})
    with pytest.raises(ConfigError, match="not on this floor"):
        _config(tmp_path, gpio_rooms={"999": ROOM})
    with pytest.raises(ConfigError, match="gpio_rooms"):
        _config(tmp_path, gpio_rooms={"101": {"lock": 40, "contact": 5}})


def test_a_mixed_floor_sends_each_unlock_to_the_room_s_own_door(
    tmp_path: Path, factory: MockFactory, readers: Readers
) -> None:
    node = SimulatedDoorNode(7, link_timeout_ms=300, decision_timeout_ms=400, reread_ms=100).start()
    config = _config(tmp_path, door_nodes={"102": 7}, serial_url=node.device,
                     gpio_rooms={"101": {"lock": LOCK, "contact": CONTACT}})
    hardware = pi_hardware(config, pin_factory=factory, open_reader=readers.open)  # type: ignore[arg-type]
    assert isinstance(hardware, MixedFloor)
    gw = Gateway(config, hardware=hardware)  # type: ignore[arg-type]
    hardware.start(gw)
    try:
        hardware.unlock(room="101", door=None, seconds=1)
        assert factory.pin(LOCK).state == 1 and node.lock.level == 0
        hardware.unlock(room="102", door=None, seconds=1)
        assert node.lock.wait_for(1, timeout=2.0)
        wait_until(lambda: gw.room("102").lock == "unlocked" or gw.room("102").lock == "locked",
                   timeout=5, what="the node's lock report")
    finally:
        hardware.stop()
        node.close()
        gw.store.close()


SENSE = 23


@pytest.fixture
def monitored(tmp_path: Path, factory: MockFactory, readers: Readers) -> Iterator[Gateway]:
    config = _config(tmp_path, gpio_rooms={"101": {"lock": LOCK, "contact": CONTACT, "lock_sense": SENSE}})
    hardware = pi_hardware(config, pin_factory=factory, open_reader=readers.open)  # type: ignore[arg-type]
    gw = Gateway(config, hardware=hardware)  # type: ignore[arg-type]
    hardware.start(gw)
    factory.pin(SENSE).drive_low()  # the strike monitor: closed while locked
    wait_until(lambda: gw.room("101").lock == "locked", timeout=5, what="locked")
    yield gw
    hardware.stop()
    gw.store.close()


def test_a_monitored_lock_is_shown_as_its_monitor_reports(monitored: Gateway, factory: MockFactory) -> None:
    assert monitored.hardware is not None
    monitored.hardware.unlock(room="101", door=None, seconds=1)
    assert monitored.room("101").lock == "locked"  # the relay's word is not enough
    time.sleep(0.1)
    factory.pin(SENSE).drive_high()  # the strike released
    wait_until(lambda: monitored.room("101").lock == "unlocked", timeout=5, what="released")
    wait_until(lambda: factory.pin(LOCK).state == 0, timeout=5, what="relay off")
    factory.pin(SENSE).drive_low()
    wait_until(lambda: monitored.room("101").lock == "locked", timeout=5, what="locked again")
    assert "node.fault" not in _types(monitored)


def test_a_relay_the_lock_does_not_follow_is_a_fault_and_never_an_unlock(
    monitored: Gateway, factory: MockFactory
) -> None:
    assert monitored.hardware is not None
    monitored.hardware.unlock(room="101", door=None, seconds=5)
    assert factory.pin(LOCK).state == 1
    wait_until(lambda: "node.fault" in _types(monitored), timeout=5, what="node.fault")
    fault = next(e.data for e in monitored.store.after(0, limit=50) if e.type == "node.fault")
    assert fault == {"room": "101", "fault": "lock_no_feedback"}
    assert factory.pin(LOCK).state == 0 and monitored.room("101").lock == "locked"
