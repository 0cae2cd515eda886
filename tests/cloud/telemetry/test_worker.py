"""Two workers sharing the telemetry subscription on a real Mosquitto, writing to a real
InfluxDB-protocol server: every message is written once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cloud.telemetry.influx import InfluxSink
from cloud.telemetry.ingest import TelemetryIngest
from cloud.telemetry.worker import BrokerAddress, TelemetryWorker
from tests.cloud.telemetry.factory import payload
from tests.support.broker import make_broker

pytestmark = pytest.mark.service
SITE, FLOOR = "tele", "f1"


@pytest.fixture
def broker():
    server = make_broker(floors=[(SITE, FLOOR)], persistence=False)
    yield server
    server.stop()


def publish_all(broker, messages):
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="gw-tele-f1")
    client.username_pw_set(f"gw.{SITE}.{FLOOR}", broker.passwords[f"gw.{SITE}.{FLOOR}"])
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    for i, (topic, body) in enumerate(messages):
        client.publish(topic, body, qos=0)
        if i % 200 == 199:
            time.sleep(0.01)  # a floor's pace, not a flood: QoS 0 may drop under overload
    time.sleep(0.2)
    client.disconnect()
    client.loop_stop()


def start_worker(broker, victoria, name):
    ingest = TelemetryIngest([InfluxSink(url=victoria.url, org="o", bucket="b", token="t")])
    worker = TelemetryWorker(ingest, broker=BrokerAddress.parse(broker.cloud_url), client_id=name,
                             share_group="tele-test", batch_max=500, batch_wait_s=0.05)
    worker.start()
    return worker


def wait_for(victoria, match, expected, timeout=20.0):
    deadline = time.monotonic() + timeout
    count = 0
    while time.monotonic() < deadline:
        count = victoria.sample_count(match)
        if count >= expected:
            break
        time.sleep(0.3)
    return count


def test_two_workers_share_the_subscription_and_write_each_message_once(broker, victoria):
    workers = [start_worker(broker, victoria, f"tele-worker-{n}") for n in (1, 2)]
    base = datetime.now(UTC) - timedelta(minutes=30)
    messages = [(f"posada/v1/{SITE}/{FLOOR}/rooms/r{i % 10}/telemetry",
                 payload(f"r{i % 10}", at=base + timedelta(milliseconds=i),
                         readings={"temperature_c": 20.0 + i % 7, "occupied": i % 2 == 0}))
                for i in range(2000)]
    bad = [(f"posada/v1/{SITE}/{FLOOR}/rooms/r1/telemetry", b"{not json"),
           (f"posada/v1/{SITE}/{FLOOR}/rooms/r1/telemetry",
            payload("r2", at=base, readings={"occupied": True}))]
    publish_all(broker, messages + bad)
    count = wait_for(victoria, f'room_temperature_c{{site="{SITE}"}}', 2000)
    time.sleep(0.5)
    for worker in workers:
        worker.stop()
    assert count == 2000
    assert victoria.sample_count(f'room_temperature_c{{site="{SITE}"}}') == 2000
    received = [w.received for w in workers]
    assert sum(received) == 2002 and min(received) > 0
    rejected = {}
    for w in workers:
        for reason, n in w.ingest.rejections.snapshot().items():
            rejected[reason] = rejected.get(reason, 0) + n
    assert rejected == {"json": 1, "telemetry.room": 1}


def test_worker_refuses_a_url_that_is_not_mqtt():
    with pytest.raises(ValueError):
        BrokerAddress.parse("http://127.0.0.1:1883")


def test_worker_needs_a_writer():
    ingest = TelemetryIngest([])
    with pytest.raises(ValueError, match="at least one writer"):
        TelemetryWorker(ingest, broker=BrokerAddress.parse("mqtt://127.0.0.1:1883"), client_id="w",
                        writers=0)
