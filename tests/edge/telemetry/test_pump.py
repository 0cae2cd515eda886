import json
from datetime import UTC, datetime, timedelta

import sqlite_utils

from edge.telemetry import DrainBudget, SamplingPolicy, TelemetryBacklog, TelemetryPump
from edge.telemetry.sim import SimGatewayHealth, SimRoomSensors
from mqtt.codec import decode

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Port:
    def __init__(self, up=True):
        self.up = up
        self.sent: list[tuple[str, bytes]] = []

    def publish_telemetry(self, topic, payload):
        if self.up:
            self.sent.append((topic, payload))
        return self.up


def make_pump(tmp_path, rooms=("101", "102"), **kw):
    sensors = [SimRoomSensors(room) for room in rooms] + [SimGatewayHealth()]
    backlog = TelemetryBacklog(sqlite_utils.Database(tmp_path / "gw.db"), bucket_s=60)
    kw.setdefault("drain", DrainBudget(rate_per_s=1, burst=2))
    pump = TelemetryPump(site="hq", floor="f1", source="gw-hq-f1", sensors=sensors,
                         backlog=backlog, policy=SamplingPolicy(max_interval_s=300), **kw)
    return pump, sensors


def test_live_readings_go_out_on_each_rooms_topic_and_decode_under_the_contract(tmp_path):
    pump, _ = make_pump(tmp_path)
    pump.collect(T0)
    port = Port()
    result = pump.publish(T0, port)
    assert result.live == 3
    topics = sorted(t for t, _ in port.sent)
    assert topics == ["posada/v1/hq/f1/rooms/101/telemetry", "posada/v1/hq/f1/rooms/102/telemetry",
                      "posada/v1/hq/f1/rooms/gateway/telemetry"]
    message = decode(port.sent[0][0], port.sent[0][1])
    assert message.envelope.type == "room.telemetry"
    assert message.data.readings["temperature_c"] == 21.5
    assert message.envelope.ts == T0


def test_nothing_is_sent_again_until_the_deadband_or_interval_says_so(tmp_path):
    pump, _ = make_pump(tmp_path)
    port = Port()
    pump.collect(T0)
    pump.publish(T0, port)
    port.sent.clear()
    pump.collect(T0 + timedelta(seconds=5))
    assert pump.publish(T0 + timedelta(seconds=5), port).live == 0


def test_telemetry_waits_while_events_wait_and_spills_after_hold(tmp_path):
    pump, _ = make_pump(tmp_path, rooms=("101",), hold_s=30)
    port = Port()
    pump.collect(T0)
    result = pump.publish(T0, port, events_waiting=5)
    assert result.held and port.sent == []
    assert pump.backlog_depth() == 0
    pump.publish(T0 + timedelta(seconds=31), port, events_waiting=1)
    assert port.sent == [] and pump.backlog_depth() == 2


def test_link_down_moves_live_readings_to_backlog_and_they_drain_later_in_order(tmp_path):
    pump, sensors = make_pump(tmp_path, rooms=("101", "102", "103"))
    down = Port(up=False)
    for minute in range(4):
        sensors[0].temperature_c = 20.0 + minute
        pump.collect(T0 + timedelta(minutes=minute))
        assert pump.publish(T0 + timedelta(minutes=minute), down).link_down
    assert pump.backlog_depth() == 4 + 1 + 1 + 1  # room 101 changed every minute
    up = Port()
    later = T0 + timedelta(minutes=10)
    first = pump.publish(later, up)
    assert first.backlog == 2  # burst of the drain budget, oldest first: room 101 in it
    samples = []
    for topic, payload in up.sent:
        data = decode(topic, payload).data
        if data.room == "101":
            samples += [(s.at, s.readings["temperature_c"]) for s in data.samples]
    assert [v for _, v in samples] == [20.0, 21.0, 22.0, 23.0]
    assert pump.publish(later, up).backlog == 0  # budget spent
    assert pump.publish(later + timedelta(seconds=5), up).backlog == 2
    assert pump.backlog_depth() == 0


def test_live_readings_go_before_backlog(tmp_path):
    pump, sensors = make_pump(tmp_path, rooms=("101",))
    pump.collect(T0)
    pump.publish(T0, Port(up=False))
    sensors[0].door_open = True
    pump.collect(T0 + timedelta(seconds=1))
    batches = pump.pending_batches(T0 + timedelta(seconds=1), 10)
    assert batches[0].backlog_ids == () and batches[-1].backlog_ids != ()


def test_silent_sensor_is_counted_and_others_still_sampled(tmp_path):
    pump, sensors = make_pump(tmp_path)
    sensors[0].silent = True
    pump.collect(T0)
    assert pump.sensor_errors == 1
    port = Port()
    pump.publish(T0, port)
    assert {json.loads(p)["data"]["room"] for _, p in port.sent} == {"102", "gateway"}


def test_a_backlog_message_stays_under_the_payload_limit(tmp_path):
    pump, sensors = make_pump(tmp_path, rooms=("101",), samples_per_batch=1000)
    for i in range(300):
        sensors[0].temperature_c = float(i)
        pump.collect(T0 + timedelta(minutes=i))
        pump.link_down(T0 + timedelta(minutes=i))
    for batch in pump.pending_batches(T0 + timedelta(days=1), 10):
        assert len(batch.payload) < 64 * 1024
        decode(batch.topic, batch.payload)
