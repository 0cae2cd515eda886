"""The gateway's telemetry through a real Mosquitto: batches, the offline backlog, events first,
deadband and maximum interval."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from edge.app import Gateway, build
from tests.edge.cloud_peer import CloudPeer, wait_until
from tests.edge.gateway_factory import gateway_config, make_gateway
from tests.support.broker import Mosquitto


@pytest.fixture
def started() -> Iterator[list[Gateway]]:
    gateways: list[Gateway] = []
    yield gateways
    for gateway in gateways:
        gateway.stop()


def _start(gateways: list[Gateway], gateway: Gateway) -> Gateway:
    gateways.append(gateway)
    gateway.start()
    wait_until(gateway.link.online.is_set, timeout=10, what="gateway connection")
    return gateway


def values(peer: CloudPeer, room: str, key: str) -> list[Any]:
    """Every value of one reading the peer received, live readings and samples, in order."""
    out: list[Any] = []
    for message in list(peer.telemetry):
        data = message["data"]
        if data["room"] != room:
            continue
        if key in data.get("readings", {}):
            out.append(data["readings"][key])
        out.extend(s["readings"][key] for s in data.get("samples", []) if key in s["readings"])
    return out


def keys_of(peer: CloudPeer, room: str) -> set[str]:
    """Every reading key a room sent, live or as samples (readings collected before the link
    was up went to the backlog and arrive as samples after the first live batch)."""
    keys: set[str] = set()
    for message in list(peer.telemetry):
        data = message["data"]
        if data["room"] == room:
            keys.update(data["readings"])
            for sample in data["samples"]:
                keys.update(sample["readings"])
    return keys


class Feeder:
    """A door node reporting the same battery voltage every 50 ms until told otherwise."""

    def __init__(self, gateway: Gateway, room: str, volts: float) -> None:
        self.gateway, self.room, self.volts = gateway, room, volts
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.gateway.telemetry(self.room, {"lock_battery_v": self.volts})

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)


def test_a_simulated_floor_sends_room_and_gateway_readings_in_batches(
    own_mosquitto: Mosquitto, tmp_path: Path, started: list[Gateway]
) -> None:
    peer = CloudPeer(own_mosquitto.cloud_url, site="hotel", floor="f1")
    gateway, _simulator = build(gateway_config(own_mosquitto, tmp_path, telemetry_interval_s=0.2))
    _start(started, gateway)
    wait_until(lambda: {m["data"]["room"] for m in peer.telemetry} >= {"101", "102", "103", "gateway"},
               what="telemetry of every room and the gateway")
    first_room = next(m for m in peer.telemetry if m["data"]["room"] == "101")
    assert first_room["type"] == "room.telemetry" and first_room["source"] == "gw.hotel.f1"
    wait_until(lambda: keys_of(peer, "101") == {
        "temperature_c", "humidity_pct", "occupied", "door_open",
        "lock_battery_v", "link_quality_pct", "power_w"}, what="every room reading")
    wait_until(lambda: keys_of(peer, "gateway") >= {
        "cpu_temp_c", "disk_free_pct", "outbox_depth", "telemetry_backlog", "clock_offset_s"},
        what="every gateway health reading")
    peer.close()


def test_readings_taken_while_the_broker_is_down_are_downsampled_and_arrive_after_it_returns(
    own_mosquitto: Mosquitto, tmp_path: Path, started: list[Gateway]
) -> None:
    gateway = _start(started, make_gateway(
        own_mosquitto, tmp_path, telemetry_interval_s=0.05, telemetry_backlog_bucket_s=1,
        reconnect_min_s=3, reconnect_max_s=3))
    own_mosquitto.stop()
    wait_until(lambda: not gateway.link.online.is_set(), what="gateway sees the broker gone")
    sent = [3.0 + i / 10 for i in range(30)]  # all beyond the 0.05 V deadband
    for volts in sent:
        gateway.telemetry("101", {"lock_battery_v": volts})
        time.sleep(0.1)  # 3 s of readings, about 30 collected
    wait_until(lambda: gateway.telemetry_runner.backlog_depth() >= 2, what="readings in the backlog")
    depth = gateway.telemetry_runner.backlog_depth()
    assert depth <= 5, "one row per room and 1 s bucket, not one per reading"
    own_mosquitto.start()
    peer = CloudPeer(own_mosquitto.cloud_url, site="hotel", floor="f1")  # before the gateway is back
    wait_until(lambda: gateway.telemetry_runner.backlog_depth() == 0, what="backlog drained")
    wait_until(lambda: bool(values(peer, "101", "lock_battery_v")), what="backlogged readings")
    received = values(peer, "101", "lock_battery_v")
    assert received[-1] == pytest.approx(sent[-1])  # the latest of each bucket wins
    assert len(received) == depth < len(sent)
    assert received == sorted(received)  # oldest buckets first
    peer.close()


def test_no_telemetry_goes_out_while_events_wait_in_the_outbox(
    own_mosquitto: Mosquitto, tmp_path: Path, started: list[Gateway]
) -> None:
    gateway = make_gateway(own_mosquitto, tmp_path, telemetry_interval_s=0.05, inflight_window=10)
    for i in range(500):
        gateway.record("tamper", {"room": "102", "detail": str(i)})
    gateway.telemetry("101", {"lock_battery_v": 3.1, "link_quality": 0.9})
    peer = CloudPeer(own_mosquitto.cloud_url, site="hotel", floor="f1", batch_s=0.1)
    _start(started, gateway)
    wait_until(lambda: bool(values(peer, "101", "lock_battery_v")), what="telemetry after the events")
    assert gateway.store.pending_count() == 0
    assert len(peer.first_seqs()) == 500
    last_event = max(e["_received"] for e in peer.events)
    assert all(t["_received"] > last_event for t in peer.telemetry)
    peer.close()


def test_the_deadband_keeps_unchanged_readings_back_and_the_maximum_interval_sends_one_anyway(
    own_mosquitto: Mosquitto, tmp_path: Path, started: list[Gateway]
) -> None:
    peer = CloudPeer(own_mosquitto.cloud_url, site="hotel", floor="f1")
    gateway = _start(started, make_gateway(own_mosquitto, tmp_path, telemetry_interval_s=0.1,
                                           telemetry_max_interval_s=2.0))
    feeder = Feeder(gateway, "103", 3.00)
    try:
        wait_until(lambda: values(peer, "103", "lock_battery_v") == [3.0], what="the first reading")
        feeder.volts = 3.03  # inside the 0.05 V deadband
        time.sleep(1.0)
        assert values(peer, "103", "lock_battery_v") == [3.0]
        feeder.volts = 2.90  # outside it: sent at the next collection
        wait_until(lambda: len(values(peer, "103", "lock_battery_v")) == 2, timeout=1.0,
                   what="the changed reading")
        changed_at = time.monotonic()
        wait_until(lambda: len(values(peer, "103", "lock_battery_v")) == 3, timeout=4.0,
                   what="the reading the maximum interval forces")
        assert time.monotonic() - changed_at >= 1.5
        assert values(peer, "103", "lock_battery_v") == [3.0, 2.9, 2.9]
    finally:
        feeder.stop()
        peer.close()


def test_the_backlog_drains_at_its_bounded_rate(
    own_mosquitto: Mosquitto, tmp_path: Path, started: list[Gateway]
) -> None:
    gateway = _start(started, make_gateway(
        own_mosquitto, tmp_path, telemetry_interval_s=0.05, telemetry_drain_per_s=0.5,
        reconnect_min_s=3, reconnect_max_s=3))
    own_mosquitto.stop()
    wait_until(lambda: not gateway.link.online.is_set(), what="gateway sees the broker gone")
    for room in ("101", "102", "103"):  # one backlog batch per room
        gateway.telemetry(room, {"lock_battery_v": 3.0})
    wait_until(lambda: gateway.telemetry_runner.backlog_depth() == 3, what="three rooms backlogged")
    own_mosquitto.start()
    peer = CloudPeer(own_mosquitto.cloud_url, site="hotel", floor="f1")
    wait_until(lambda: len(peer.telemetry) == 3, what="the backlog drained")
    arrivals = [m["_received"] for m in peer.telemetry]
    gaps = [later - earlier for earlier, later in pairwise(arrivals)]
    assert all(gap >= 1.5 for gap in gaps), gaps  # 0.5 batches a second: one every 2 s
    peer.close()
