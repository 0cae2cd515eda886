"""The in-lift panel through the gateway's real decision code: a granted card enables its floors'
relays for a while, a refused, torn or foreign card enables nothing, a failed reader is a fault."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from edge.app import Gateway
from edge.config import load_config
from edge.errors import ConfigError
from edge.hw import ntag
from edge.hw.lift_panel import SimulatedLiftPanel
from edge.hw.nfc import NfcReader
from edge.hw.nfc_errors import NfcUnavailable
from edge.hw.nfc_sim import SimulatedNtag, SimulatedReader
from edge.keycards import KeycardAccess
from edge.lift_car import LiftCar, lift_readers
from edge.sim import SimulatedDesk, SimulatedDoors
from tests.edge.cloud_peer import wait_until

PINS = {0: 5, 3: 6, 5: 13}  # lobby, floor 3, floor 5
LIFT = {"reader": "pn532_i2c:/dev/i2c-1", "floors": PINS, "public": [0], "enable_s": 8}


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    config = load_config(
        env={},
        overrides={
            "site": "hotel",
            "floor": "f1",
            "rooms": ["301"],
            "data_dir": tmp_path,
            "site_number": 4,
            "floor_number": 3,
            "trust_system_clock": True,
            "lifts": {"lift-a": LIFT},
        },
    )
    gw = Gateway(config, hardware=SimulatedDoors())
    yield gw
    gw.store.close()


@pytest.fixture
def desk(gateway: Gateway) -> SimulatedDesk:
    desk = SimulatedDesk.load_or_create(gateway.store, site=4, floor=3)
    ack = gateway.command("key.upsert", desk.key_command())
    assert ack is not None and ack.ok
    return desk


class Clock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at


def _car(gateway: Gateway, panel: SimulatedLiftPanel, clock: Clock) -> LiftCar:
    access = gateway.access
    assert isinstance(access, KeycardAccess)
    return LiftCar(
        name="lift-a",
        panel=panel,
        choose=lambda card: access.lift(card=card, lift="lift-a"),
        record=gateway.record,
        now=clock,
        public=frozenset({0}),
        enable_s=8,
    )


def _taps(gateway: Gateway) -> list[tuple[str, dict[str, object]]]:
    return [(e.type, e.data) for e in gateway.store.after(0, limit=100) if e.data.get("door") == "lift-a"]


@pytest.mark.unit
def test_a_guest_card_enables_its_floors_for_a_while_then_the_lobby_only(
    gateway: Gateway, desk: SimulatedDesk
) -> None:
    panel, clock = SimulatedLiftPanel(frozenset(PINS)), Clock(gateway.now())
    car = _car(gateway, panel, clock)
    assert panel.enabled == {0}
    choice = car.presented(desk.issue("301", now=gateway.now(), lift_floors=1 << 3 | 1 << 7))
    assert choice.decision.granted and panel.enabled == {0, 3}  # floor 7 is not this lift's
    clock.at += timedelta(seconds=7)
    car.tick()
    assert panel.enabled == {0, 3}
    clock.at += timedelta(seconds=2)
    car.tick()
    assert panel.enabled == {0}
    [(kind, data)] = _taps(gateway)
    assert kind == "access.granted" and data["floors"] == [3] and data["kind"] == "guest"
    assert "room" not in data


@pytest.mark.unit
def test_a_refused_or_garbage_card_enables_nothing(gateway: Gateway, desk: SimulatedDesk) -> None:
    panel, clock = SimulatedLiftPanel(frozenset(PINS)), Clock(gateway.now())
    car = _car(gateway, panel, clock)
    car.presented(desk.issue("301", now=gateway.now()))  # no lift floors on it
    car.presented(b"P\x01garbage")
    expired = desk.issue("301", now=gateway.now() - timedelta(days=3), days=1, lift_floors=1 << 3)
    car.presented(expired)
    assert panel.history == [frozenset({0})]  # never anything but the lobby
    assert [(k, d["reason"], d["floors"]) for k, d in _taps(gateway)] == [
        ("access.denied", "wrong_door", []),
        ("access.denied", "malformed", []),
        ("access.denied", "expired", []),
    ]


class Readers:
    def __init__(self) -> None:
        self.reader: SimulatedReader | None = SimulatedReader()

    def open(self, connstring: str) -> NfcReader:
        if self.reader is None:
            raise NfcUnavailable("no_reader", f"no NFC reader could be opened at {connstring!r}")
        return self.reader


def _tag(card: bytes) -> SimulatedNtag:
    tag = SimulatedNtag()
    data = ntag.wrap(card)
    tag.memory[16 : 16 + len(data)] = data
    return tag


def test_the_car_s_reader_drives_the_floor_relays(gateway: Gateway, desk: SimulatedDesk) -> None:
    factory, readers = MockFactory(), Readers()
    [lift] = lift_readers(
        gateway.config.lifts,
        access=gateway.access,
        record=gateway.record,
        now=gateway.now,
        open_reader=readers.open,
        pin_factory=factory,
    )
    lift.start()
    try:
        assert [factory.pin(p).state for p in (5, 6, 13)] == [1, 0, 0]
        assert readers.reader is not None
        readers.reader.present(_tag(desk.issue("301", now=gateway.now(), lift_floors=1 << 5)))
        wait_until(lambda: factory.pin(13).state == 1, timeout=5, what="floor 5 enabled")
        assert factory.pin(6).state == 0
    finally:
        lift.stop()
        factory.reset()


def test_a_reader_that_cannot_be_opened_is_a_fault_and_enables_nothing(gateway: Gateway) -> None:
    factory, readers = MockFactory(), Readers()
    readers.reader = None
    [lift] = lift_readers(
        gateway.config.lifts,
        access=gateway.access,
        record=gateway.record,
        now=gateway.now,
        open_reader=readers.open,
        pin_factory=factory,
    )
    lift.start()
    try:
        wait_until(lambda: bool(_taps(gateway)), timeout=5, what="fault")
        assert _taps(gateway) == [("node.fault", {"door": "lift-a", "fault": "reader_silent"})]
        assert [factory.pin(p).state for p in (5, 6, 13)] == [1, 0, 0]
    finally:
        lift.stop()
        factory.reset()


@pytest.mark.unit
@pytest.mark.parametrize(
    "lift",
    [
        {**LIFT, "floors": {64: 5}},
        {**LIFT, "public": [9]},
        {**LIFT, "floors": {3: 40}},
        {**LIFT, "hours": "25:00-26:00"},
    ],
)
def test_lifts_that_cannot_be_wired_are_refused(tmp_path: Path, lift: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        load_config(
            env={},
            overrides={
                "site": "hotel",
                "floor": "f1",
                "rooms": ["301"],
                "data_dir": tmp_path,
                "site_number": 4,
                "floor_number": 3,
                "lifts": {"lift-a": lift},
            },
        )
