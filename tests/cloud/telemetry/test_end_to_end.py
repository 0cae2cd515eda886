"""A gateway's telemetry pump on a real paho client, through Mosquitto with the project's ACL,
to the cloud's worker and into an InfluxDB-protocol store; then the latest values and alerts."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
import sqlite_utils
from paho.mqtt.enums import CallbackAPIVersion

from cloud.telemetry.alerts.monitor import AlertMonitor
from cloud.telemetry.alerts.rules import Thresholds
from cloud.telemetry.influx import InfluxSink
from cloud.telemetry.ingest import TelemetryIngest
from cloud.telemetry.latest import LatestStore
from cloud.telemetry.worker import BrokerAddress, TelemetryWorker
from edge.telemetry import TelemetryBacklog, TelemetryPump
from edge.telemetry.paho_port import PahoTelemetryPort
from edge.telemetry.sim import SimGatewayHealth, SimRoomSensors
from mqtt.readings import READINGS
from tests.cloud.telemetry.dbutil import migrated
from tests.support.broker import make_broker

pytestmark = pytest.mark.service
SITE, FLOOR = "e2e", "f3"


@pytest.fixture
def broker():
    server = make_broker(floors=[(SITE, FLOOR)], persistence=False)
    yield server
    server.stop()


def gateway_client(broker):
    user = f"gw.{SITE}.{FLOOR}"
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=user)
    client.username_pw_set(user, broker.passwords[user])
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    deadline = time.monotonic() + 5
    while not client.is_connected() and time.monotonic() < deadline:
        time.sleep(0.02)
    return client


def test_gateway_readings_reach_influx_latest_values_and_alerts(broker, victoria, tmp_path):
    sessions = migrated(f"sqlite:///{tmp_path / 'cloud.db'}")
    ingest = TelemetryIngest([InfluxSink(url=victoria.url, org="o", bucket="b", token="t"),
                              LatestStore(sessions)])
    worker = TelemetryWorker(ingest, broker=BrokerAddress.parse(broker.cloud_url),
                             client_id="e2e-worker", share_group="e2e", batch_wait_s=0.05)
    worker.start()
    rooms = [SimRoomSensors("301"), SimRoomSensors("302", battery_charge_pct=8.0)]
    pump = TelemetryPump(site=SITE, floor=FLOOR, source="gw-e2e", sensors=[*rooms,
                         SimGatewayHealth()],
                         backlog=TelemetryBacklog(sqlite_utils.Database(tmp_path / "gw.db")))
    client = gateway_client(broker)
    port = PahoTelemetryPort(client)
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    for minute in range(3):
        rooms[0].temperature_c = 21.0 + minute
        pump.collect(now + timedelta(minutes=minute))
        pump.publish(now + timedelta(minutes=minute), port)
    client.disconnect()
    client.loop_stop()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and victoria.sample_count(
            f'room_temperature_c{{site="{SITE}",room="301"}}') < 3:
        time.sleep(0.3)
    time.sleep(0.3)
    worker.stop()
    [series] = victoria.export(f'room_temperature_c{{site="{SITE}",room="301"}}')
    assert sorted(series["values"]) == [21.0, 22.0, 23.0]
    assert victoria.sample_count(f'gateway_outbox_depth{{site="{SITE}"}}') == 1
    for spec in READINGS.values():  # every metric the dashboards query exists in the store
        assert victoria.sample_count(f'{spec.metric}{{site="{SITE}"}}') >= 1, spec.metric
    latest = {r.room: r.readings for r in LatestStore(sessions).rooms(site=SITE)}
    assert latest["301"]["temperature_c"]["v"] == 23.0 and "gateway" in latest
    changes = AlertMonitor(sessions, thresholds=Thresholds()).tick(now + timedelta(minutes=3))
    assert [(n.kind, n.subject) for n in changes.opened] == [("lock_battery_low", "302")]
    assert ingest.rejections.total == 0
    assert port.published == 3 + 2  # every room and the gateway once, then 301 as it warms


def test_port_refuses_while_the_client_is_not_connected():
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="never-connected")
    assert PahoTelemetryPort(client).publish_telemetry("posada/v1/a/b/rooms/1/telemetry",
                                                       b"{}") is False
