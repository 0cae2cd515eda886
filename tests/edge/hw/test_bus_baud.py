"""The door-node bus's baud rate is a setting: the same supported rates at the gateway and in the
firmware, an unsupported one refused, 1 Mbaud carrying a tap end to end."""

from __future__ import annotations

import ast
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.access.decision import Decision, Reason
from edge.config import SERIAL_BAUDS, load_config
from edge.errors import ConfigError
from edge.hw.door_nodes import DoorNodes, NodeConfig
from edge.hw.errors import SerialPortError
from edge.hw.serial_bus import BAUDRATE, BAUDRATES, SerialBus, open_port
from edge.hw.sim_node import SimulatedDoorNode, wire_seconds

BOARD = Path(__file__).parents[3] / "firmware" / "doornode" / "board.py"
BASE = {"site": "hotel", "floor": "f1", "rooms": ["101"], "site_number": 1, "floor_number": 1}


def _grant(card: bytes, door: str, now: datetime, /) -> Decision:
    return Decision(True, Reason.GRANTED)


def _firmware_constant(name: str) -> object:
    """A constant of the board file, read without MicroPython's ``machine``."""
    for node in ast.parse(BOARD.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} not in {BOARD}")


def test_gateway_and_firmware_support_the_same_rates() -> None:
    assert _firmware_constant("BAUDRATES") == BAUDRATES == SERIAL_BAUDS
    assert _firmware_constant("BAUDRATE") == BAUDRATE
    assert 1_000_000 in BAUDRATES


def test_the_floor_file_chooses_the_rate_and_refuses_others(tmp_path: Path) -> None:
    assert load_config(env={}, overrides={**BASE, "data_dir": tmp_path}).serial_baud == 115_200
    fast = load_config(env={"POSADA_SERIAL_BAUD": "1000000"}, overrides={**BASE, "data_dir": tmp_path})
    assert fast.serial_baud == 1_000_000
    with pytest.raises(ConfigError):
        load_config(env={}, overrides={**BASE, "data_dir": tmp_path, "serial_baud": 57_600})


def test_an_unsupported_rate_is_refused_when_the_port_opens() -> None:
    with pytest.raises(SerialPortError, match="not one of"):
        open_port("loop://", baudrate=250_000)


def test_a_tap_crosses_a_bus_paced_at_1_mbaud() -> None:
    node = SimulatedDoorNode(3, pace_baud=1_000_000).start()
    try:
        bus = SerialBus(open_port(node.device, baudrate=1_000_000))
        service = DoorNodes(
            bus,
            [NodeConfig(3, "room-101")],
            decide=_grant,
            emit=lambda _fact: None,
            now=lambda: datetime.now(UTC),
            unlock_ms=50,
        )
        for _ in range(5):  # boot reports taken: the node hears its gateway
            service.poll_once()
        mark = node.lock.mark()
        node.tap(b"card-1")
        deadline = time.monotonic() + 5
        while not node.lock.wait_for(1, timeout=0.001, since=mark) and time.monotonic() < deadline:
            service.poll_once()
        assert node.lock.wait_for(1, timeout=0, since=mark)
    finally:
        node.close()
    assert wire_seconds(137, 1_000_000) < 0.0014  # the tap's frames: 1.4 ms on the wire, not 11.9
