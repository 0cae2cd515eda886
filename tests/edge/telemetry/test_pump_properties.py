"""Whatever the link and the event outbox do, the cloud ends up with each reading's last
value, and every message sent is a valid contract payload."""

from datetime import UTC, datetime, timedelta

import sqlite_utils
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.telemetry import DrainBudget, SamplingPolicy, TelemetryBacklog, TelemetryPump
from edge.telemetry.sim import SimRoomSensors
from mqtt.codec import decode

T0 = datetime(2026, 1, 1, tzinfo=UTC)

steps = st.lists(st.tuples(
    st.sampled_from(["101", "102"]),
    st.floats(min_value=15, max_value=30, allow_nan=False),
    st.booleans(),                # door open
    st.booleans(),                # link up
    st.integers(0, 3),            # events waiting
    st.integers(1, 120),          # seconds until the next step
), min_size=1, max_size=40)


class Port:
    def __init__(self):
        self.up = True
        self.events_waiting = 0
        self.received: dict[tuple[str, str], tuple[datetime, object]] = {}

    def publish_telemetry(self, topic, payload):
        assert self.events_waiting == 0, "telemetry went out while events waited"
        if not self.up:
            return False
        message = decode(topic, payload)
        assert len(payload) <= 64 * 1024
        data = message.data
        groups = [(message.envelope.ts, data.readings)] if data.readings else []
        groups += [(s.at, s.readings) for s in data.samples]
        for at, readings in groups:
            for key, value in readings.items():
                seen = self.received.get((data.room, key))
                if seen is None or at >= seen[0]:
                    self.received[(data.room, key)] = (at, value)
        return True


@settings(max_examples=60, deadline=None)
@given(steps)
def test_last_value_of_every_reading_reaches_the_cloud(history):
    sensors = {room: SimRoomSensors(room) for room in ("101", "102")}
    backlog = TelemetryBacklog(sqlite_utils.Database(memory=True), bucket_s=60)
    pump = TelemetryPump(site="hq", floor="f1", source="gw", sensors=list(sensors.values()),
                         backlog=backlog, policy=SamplingPolicy(max_interval_s=300),
                         drain=DrainBudget(rate_per_s=1, burst=3), hold_s=30)
    port, now = Port(), T0
    for room, temperature, door, up, events, wait in history:
        sensors[room].temperature_c, sensors[room].door_open = temperature, door
        port.up, port.events_waiting = up, events
        pump.collect(now)
        pump.publish(now, port, events_waiting=events)
        now += timedelta(seconds=wait)
    port.up, port.events_waiting = True, 0
    now += timedelta(seconds=301)
    pump.collect(now)
    for _ in range(1000):
        pump.publish(now, port)
        if pump.backlog_depth() == 0 and not pump.pending_batches(now, 1):
            break
        now += timedelta(seconds=1)
    assert pump.backlog_depth() == 0
    for room, sensor in sensors.items():
        for key, value in sensor.read().items():
            assert port.received[(room, key)][1] == value, (room, key)
