"""The embedded broker stops for good, and promptly, even while a client is publishing hard at it."""

from __future__ import annotations

import logging
import socket
import threading
import time

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cloud.broker.embedded import SHUTDOWN_S, EmbeddedBroker
from tests.support.ports import free_port


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_stopping_under_load_frees_the_port_and_drops_the_clients(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    broker = EmbeddedBroker(port=port)
    broker.start()
    # A persistent subscriber (the cloud) that has left, and a persistent publisher (a gateway).
    reader = paho.Client(CallbackAPIVersion.VERSION2, client_id="reader", protocol=paho.MQTTv311,
                         clean_session=False, manual_ack=True)
    delivered = threading.Semaphore(0)
    reader.on_message = lambda *_: delivered.release()
    reader.connect("127.0.0.1", port)
    reader.subscribe("posada/v1/+/+/events", 1)
    reader.loop_start()
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="busy", protocol=paho.MQTTv311,
                         clean_session=False)
    dropped = threading.Event()
    client.on_disconnect = lambda *_: dropped.set()
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.subscribe("posada/v1/hotel/f1/cmd", 1)
    client.loop_start()
    stop = threading.Event()

    def flood() -> None:
        while not stop.is_set():
            client.publish("posada/v1/hotel/f1/events", b"x" * 200, qos=1)
            time.sleep(0.0005)

    flooder = threading.Thread(target=flood, daemon=True)
    flooder.start()
    try:
        for _ in range(500):  # the flood is flowing through the broker
            assert delivered.acquire(timeout=10), "the flood never reached the subscriber"
        reader.disconnect()  # and the broker stops right behind it, as the cloud's runtime does
        started = time.monotonic()
        with caplog.at_level(logging.WARNING):
            broker.stop()
        took = time.monotonic() - started
        reader.loop_stop()
        assert not [r.getMessage() for r in caplog.records if r.name == "cloud.broker.embedded"], \
            "the shutdown got stuck and was forced"
        assert not [r.getMessage() for r in caplog.records if r.name == "asyncio"]
        assert took < SHUTDOWN_S
        assert not _listening(port), "the listening socket outlived stop()"
        assert dropped.wait(5), "a connected client was left hanging on a dead broker"
        restarted = EmbeddedBroker(port=port)
        restarted.start()
        restarted.stop()
    finally:
        stop.set()
        flooder.join(5)
        client.disconnect()
        client.loop_stop()
