"""The lock battery in one unit end to end: the door node's millivolts, through the gateway's
bus service and the contract, to the alert rule and the dashboards.

The rule once read a percentage that real door nodes never send, so a flat lock battery on real
hardware raised nothing; these tests feed the rule what the real firmware reports.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cloud.telemetry.alerts.rules import READS, AlertKind, Observed, Snapshot, Thresholds, evaluate
from cloud.telemetry.latest import merge
from cloud.telemetry.points import points_of
from dashboards.boards import room_dashboard
from edge.hw.door_nodes import DoorNodes, NodeConfig, Reading
from edge.hw.serial_bus import SerialBus, open_port
from edge.hw.sim_node import SimulatedDoorNode
from edge.telemetry.reported import bus_readings
from mqtt.readings import READINGS
from tests.cloud.telemetry.factory import item

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _node_reports(battery_mv: int) -> dict[str, Reading]:
    """What the gateway's bus service hears from a real firmware node with this battery."""
    node = SimulatedDoorNode(7, battery_mv=battery_mv, link_timeout_ms=300).start()
    heard: list[dict[str, Reading]] = []
    try:
        service = DoorNodes(SerialBus(open_port(node.device)), [NodeConfig(7, "room-101", "101")],
                            decide=lambda *_: None,  # type: ignore[arg-type, return-value]
                            emit=lambda *_: None, telemetry=lambda _r, _d, values: heard.append(values),
                            now=lambda: datetime.now(UTC))
        deadline = time.monotonic() + 5
        while not heard and time.monotonic() < deadline:
            service.poll_once()
            time.sleep(0.002)
    finally:
        node.close()
    assert heard, "the door node sent no STATUS"
    return heard[0]


def _alerts_for(readings: dict[str, Any]) -> set[AlertKind]:
    """The cloud's view: decode the telemetry message, keep the latest values, run the rules."""
    kept: dict[str, dict[str, Any]] = {}
    for point in points_of(item("101", at=NOW, readings=readings)):
        for key, value in point.fields.items():
            merge(kept, key, value, point.at)
    observed = {k: Observed(v["v"], datetime.fromisoformat(v["at"]), datetime.fromisoformat(v["since"]))
                for k, v in kept.items()}
    findings = evaluate([Snapshot("hq", "f1", "101", observed)], thresholds=Thresholds(),
                        now=NOW + timedelta(seconds=1))
    return {key.kind for key in findings}


@pytest.fixture(params=[(2_300, True), (2_950, False)], ids=["flat", "fresh"])
def battery(request: pytest.FixtureRequest) -> Iterator[tuple[int, bool]]:
    yield request.param


def test_a_real_door_nodes_battery_reaches_the_rule_in_volts(battery: tuple[int, bool]) -> None:
    battery_mv, flat = battery
    readings = bus_readings(_node_reports(battery_mv))
    assert readings["lock_battery_v"] == pytest.approx(battery_mv / 1000)
    assert (AlertKind.LOCK_BATTERY in _alerts_for(readings)) is flat


def test_every_threshold_rule_reads_a_catalog_reading_in_its_unit() -> None:
    for kind, key in READS.items():
        assert key in READINGS, f"{kind} reads {key!r}, which no gateway sends"
    assert READINGS[READS[AlertKind.LOCK_BATTERY]].unit == "volt"


def test_the_room_dashboard_shows_the_lock_battery_in_volts() -> None:
    panels = [p for p in room_dashboard("telemetry")["panels"] if "battery" in p["title"].lower()]
    assert panels and {p["fieldConfig"]["defaults"]["unit"] for p in panels} == {"volt"}
    assert all("lock_battery_v" in p["targets"][0]["query"] for p in panels)
