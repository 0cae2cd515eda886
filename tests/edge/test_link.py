"""The gateway's MQTT link against a real Mosquitto with the project's ACL."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.app import Gateway
from mqtt.messages import DoorEvent, EventsStored, RoomSettings
from tests.edge.cloud_peer import CloudPeer, wait_until
from tests.edge.gateway_factory import make_gateway
from tests.support.broker import Mosquitto

pytestmark = pytest.mark.service


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


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_events_reach_the_cloud_and_leave_the_outbox_once_stored(
    own_mosquitto: Mosquitto, tmp_path: Path, started: list[Gateway], protocol: str
) -> None:
    peer = CloudPeer(own_mosquitto.cloud_url, site="hotel", floor="f1")
    gateway = _start(started, make_gateway(own_mosquitto, tmp_path, mqtt_protocol=protocol))
    for _ in range(20):
        gateway.door_contact("101", open=True)
        gateway.door_contact("101", open=False)
    wait_until(lambda: len(peer.first_seqs()) == 40, what="40 events")
    wait_until(lambda: gateway.store.pending_count() == 0, what="outbox to empty")
    assert peer.first_seqs() == list(range(1, 41))
    first = peer.events[0]
    assert first["source"] == "gw.hotel.f1" and first["type"] == "door.opened"
    assert first["data"] == {"room": "101"}
    # the room's retained state travels apart from the events: the last one says closed
    wait_until(lambda: peer.states.get("101", {}).get("data", {}).get("door") == "closed",
               what="the room's last state")
    peer.close()


def test_puback_is_not_enough_unconfirmed_events_are_republished(
    own_mosquitto: Mosquitto, tmp_path: Path, started: list[Gateway]
) -> None:
    peer = CloudPeer(own_mosquitto.cloud_url, site="hotel", floor="f1", confirm=False)
    gateway = _start(started, make_gateway(own_mosquitto, tmp_path, resend_after_s=0.3))
    entry = gateway.record("door.ajar", DoorEvent(room="102", seconds_open=130))
    wait_until(lambda: sum(e["id"] == entry.id for e in peer.events) >= 4, what="republished event")
    assert gateway.store.pending_count() == 1
    times = [e["_received"] for e in peer.events if e["id"] == entry.id]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[2] > gaps[0] * 1.5, f"resends back off while nothing is confirmed: {gaps}"
    peer.command("events.stored", EventsStored(up_to_seq=entry.seq))
    wait_until(lambda: gateway.store.pending_count() == 0, what="confirmation")
    settled = len(peer.events)
    time.sleep(1.5)
    assert len(peer.events) <= settled + 1  # at most one resend already on the wire
    peer.close()


def test_thousand_events_recorded_while_the_broker_is_down_arrive_in_order(
    own_mosquitto: Mosquitto, tmp_path: Path, started: list[Gateway]
) -> None:
    peer = CloudPeer(own_mosquitto.cloud_url, site="hotel", floor="f2", client_id="cloud-outage")
    gateway = _start(started, make_gateway(own_mosquitto, tmp_path, floor="f2", inflight_window=50))
    gateway.record("tamper", {"room": "101", "detail": "before"})
    wait_until(lambda: gateway.store.pending_count() == 0, what="first event stored")
    own_mosquitto.stop()
    wait_until(lambda: not gateway.link.online.is_set(), what="link to notice the outage")
    for i in range(1000):
        gateway.record("tamper", {"room": "102", "detail": f"outage {i}"})
    assert gateway.store.pending_count() == 1000
    own_mosquitto.start()
    wait_until(lambda: len(peer.first_seqs()) == 1001, timeout=60, what="1,001 events")
    assert peer.first_seqs() == list(range(1, 1002))
    wait_until(lambda: gateway.store.pending_count() == 0, timeout=30, what="outbox to empty")
    peer.close()


def test_status_is_retained_online_and_turns_offline_on_clean_stop(
    own_mosquitto: Mosquitto, tmp_path: Path, started: list[Gateway]
) -> None:
    gateway = _start(started, make_gateway(own_mosquitto, tmp_path, floor="f3"))
    late = CloudPeer(own_mosquitto.cloud_url, site="hotel", floor="f3")
    wait_until(lambda: late.last_status() == "online", what="retained online status")
    status = late.statuses[-1]["data"]
    assert status["rooms"] == 3 and status["version"] and "clock_offset_s" in status
    assert set(late.states) == {"101", "102", "103"}
    started.remove(gateway)
    gateway.stop()
    wait_until(lambda: late.last_status() == "offline", what="offline status")
    later = CloudPeer(own_mosquitto.cloud_url, site="hotel", floor="f3")
    wait_until(lambda: later.last_status() == "offline", what="retained offline status")
    late.close()
    later.close()


def test_room_settings_command_is_applied_once_and_acknowledged(
    mosquitto: Mosquitto, tmp_path: Path, started: list[Gateway]
) -> None:
    peer = CloudPeer(mosquitto.cloud_url, site="annex", floor="g")
    gateway = _start(started, make_gateway(mosquitto, tmp_path, site="annex", floor="g"))
    command = RoomSettings(room="103", occupied=True, housekeeping="inspected")
    command_id = peer.command("room.settings", command)
    peer.command("room.settings", command, id=command_id)
    wait_until(lambda: len(peer.acks_for(command_id)) == 2, what="two acks")
    assert peer.acks_for(command_id) == [{"command_id": command_id, "ok": True, "error": ""}] * 2
    assert gateway.inbox.applied == 1 and gateway.inbox.duplicates == 1
    wait_until(lambda: peer.states.get("103", {}).get("data", {}).get("occupied") is True, what="state")
    assert peer.states["103"]["data"]["housekeeping"] == "inspected"
    bad_room = peer.command("room.settings", RoomSettings(room="999", occupied=True))
    wait_until(lambda: bool(peer.acks_for(bad_room)), what="refusal")
    assert peer.acks_for(bad_room)[0]["ok"] is False
    assert "999" in peer.acks_for(bad_room)[0]["error"]
    peer.close()


def test_garbage_on_cmd_is_counted_and_the_gateway_keeps_working(
    own_mosquitto: Mosquitto, tmp_path: Path, started: list[Gateway]
) -> None:
    peer = CloudPeer(own_mosquitto.cloud_url, site="hotel", floor="f1")
    gateway = _start(started, make_gateway(own_mosquitto, tmp_path))
    peer.publish_raw(os.urandom(300))
    peer.publish_raw(b"[1, 2, 3]")
    peer.publish_raw(b'{"v": 1, "id": "bad-type-1", "type": "room.settings", "source": "c", '
                     b'"data": {"room": 5}}')
    peer.publish_raw(b'{"v": 1, "id": "unknown-1", "type": "coffee.make", "source": "c"}')
    peer.publish_raw(b'{"v": 9, "id": "future-1", "type": "room.settings", "source": "c"}')
    peer.publish_raw(b'{"id": "huge-1", "pad": "' + b"x" * 200_000 + b'"}')
    wait_until(lambda: gateway.inbox.rejections.total >= 6, what="six rejections")
    counts = gateway.inbox.rejections.snapshot()
    assert counts["json"] == 1 and counts["envelope"] == 1 and counts["data"] == 1
    assert counts["refused"] == 1 and counts["version"] == 1 and counts["size"] == 1
    for command_id in ("bad-type-1", "unknown-1", "future-1"):
        wait_until(lambda cid=command_id: bool(peer.acks_for(cid)), what=f"ack of {command_id}")
        assert peer.acks_for(command_id)[0]["ok"] is False
    assert not peer.acks_for("huge-1")
    entry = gateway.record("tamper", {"room": "101"})
    wait_until(lambda: entry.seq in peer.first_seqs(), what="an event after the garbage")
    peer.close()


def test_telemetry_is_published_while_online(
    mosquitto: Mosquitto, tmp_path: Path, started: list[Gateway]
) -> None:
    peer = CloudPeer(mosquitto.cloud_url, site="hotel", floor="f3")
    gateway = _start(started, make_gateway(mosquitto, tmp_path, floor="f3", telemetry_interval_s=0.1))
    gateway.telemetry("102", {"lock_battery_v": 3.7, "link_quality": 1.0})
    wait_until(lambda: bool(peer.telemetry), what="telemetry")
    assert peer.telemetry[0]["type"] == "room.telemetry"
    readings = {"lock_battery_v": 3.7, "link_quality_pct": 100.0}  # the bus's fraction, in catalog terms
    assert peer.telemetry[0]["data"] == {"room": "102", "readings": readings, "samples": []}
    peer.close()


def test_a_window_of_one_still_delivers_everything_in_order(
    own_mosquitto: Mosquitto, tmp_path: Path, started: list[Gateway]
) -> None:
    peer = CloudPeer(own_mosquitto.cloud_url, site="hotel", floor="f1", batch_s=0.05)
    gateway = _start(started, make_gateway(own_mosquitto, tmp_path, inflight_window=1, mqtt_protocol="3.1.1"))
    for i in range(200):
        gateway.record("tamper", {"room": "103", "detail": str(i)})
    wait_until(lambda: gateway.store.pending_count() == 0, what="all confirmed")
    assert peer.first_seqs() == list(range(1, 201))
    peer.close()


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_commands_sent_while_the_gateway_is_away_arrive_when_it_returns(
    own_mosquitto: Mosquitto, tmp_path: Path, protocol: str
) -> None:
    peer = CloudPeer(own_mosquitto.cloud_url, site="hotel", floor="f2")
    first = make_gateway(own_mosquitto, tmp_path, floor="f2", mqtt_protocol=protocol)
    first.start()
    wait_until(first.link.online.is_set, what="first connection")
    first.stop()
    wait_until(lambda: peer.last_status() == "offline", what="gateway away")
    command_id = peer.command("room.settings", RoomSettings(room="101", occupied=True))
    time.sleep(0.3)
    again = make_gateway(own_mosquitto, tmp_path, floor="f2", mqtt_protocol=protocol)
    again.start()
    try:
        wait_until(lambda: bool(peer.acks_for(command_id)), what="ack of the queued command")
        assert again.room("101").occupied
    finally:
        again.stop()
        peer.close()


def test_a_broker_crash_mid_stream_loses_nothing(
    own_mosquitto: Mosquitto, tmp_path: Path, started: list[Gateway]
) -> None:
    import threading

    peer = CloudPeer(own_mosquitto.cloud_url, site="hotel", floor="f1", batch_s=0.05, client_id="cloud-crash")
    gateway = _start(started, make_gateway(own_mosquitto, tmp_path, resend_after_s=1.0))

    def produce() -> None:
        for i in range(600):
            gateway.record("tamper", {"room": "101", "detail": str(i)})
            time.sleep(0.002)

    producer = threading.Thread(target=produce)
    producer.start()
    wait_until(lambda: len(peer.first_seqs()) >= 100, what="stream under way")
    own_mosquitto.kill()  # SIGKILL: whatever the broker held in memory is gone
    time.sleep(0.5)
    own_mosquitto.start()
    producer.join()
    wait_until(lambda: gateway.store.pending_count() == 0, timeout=60, what="every event confirmed")
    assert sorted(set(peer.first_seqs())) == list(range(1, 601))
    peer.close()


def test_an_mqtt5_session_takes_the_broker_s_receive_maximum_as_its_window(
    own_mosquitto: Mosquitto, tmp_path: Path, started: list[Gateway]
) -> None:
    # the provisioned Mosquitto announces Receive Maximum 1000 (its max_inflight_messages)
    gateway = _start(started, make_gateway(own_mosquitto, tmp_path, inflight_window=5000, mqtt_protocol="5"))
    gateway.record("tamper", {"room": "101", "detail": "x"})
    wait_until(lambda: gateway.link.relay.published >= 1, what="a publish")
    assert gateway.link.relay.window == 1000


@pytest.mark.unit
def test_the_window_is_the_configured_one_unless_the_broker_takes_fewer() -> None:
    from edge.link import window_for

    assert window_for(1000, None) == 1000
    assert window_for(1000, 20) == 20
    assert window_for(50, 65535) == 50
    assert window_for(50, 0) == 50
