"""Clients connecting while another subscribes: the embedded broker keeps them all and keeps delivering."""

from __future__ import annotations

import itertools
import threading

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from cloud.broker.embedded import EmbeddedBroker
from tests.support.ports import free_port

CONNECTS = 60


def _client(port: int, client_id: str, **options: object) -> paho.Client:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv311,
                         **options)  # type: ignore[arg-type]
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def test_connecting_while_another_client_subscribes_drops_no_one() -> None:
    port = free_port()
    broker = EmbeddedBroker(port=port)
    broker.start()
    clients: list[paho.Client] = []
    stop = threading.Event()
    try:
        # Retained statuses a subscriber's filter matches: amqtt walks its subscriptions, sending
        # them to each client that connects, and awaits as it goes.
        cloud = _client(port, "cloud", clean_session=False)
        clients.append(cloud)
        cloud.subscribe("posada/v1/+/+/status", 1)
        for floor in range(40):
            status = f"posada/v1/hotel/f{floor}/status"
            cloud.publish(status, b"online", qos=1, retain=True).wait_for_publish(10)
        heard = threading.Event()
        probe = "posada/v1/hotel/probe/status"
        cloud.on_message = lambda _c, _u, m: heard.set() if m.topic == probe else None

        subscriber = _client(port, "subscriber")
        clients.append(subscriber)

        def subscribe_new_filters() -> None:  # a SUBSCRIBE to a filter nobody had, again and again
            for n in itertools.count():
                if stop.is_set():
                    return
                subscriber.subscribe(f"posada/v1/hotel/g{n}/cmd", 1)
                stop.wait(0.001)

        churn = threading.Thread(target=subscribe_new_filters, daemon=True)
        churn.start()
        dropped = []
        for n in range(CONNECTS):
            gone = threading.Event()
            client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"gw-{n}", protocol=paho.MQTTv311)
            client.on_disconnect = lambda *_, gone=gone: gone.set()
            client.connect("127.0.0.1", port)
            client.loop_start()
            info = client.publish(f"posada/v1/hotel/f{n}/events", b"{}", qos=1)
            info.wait_for_publish(10)
            if gone.is_set() or not info.is_published():
                dropped.append(n)
            client.disconnect()
            client.loop_stop()
        stop.set()
        churn.join(5)
        assert dropped == [], f"the broker dropped connecting clients {dropped}"
        cloud.publish(probe, b"online", qos=1)
        assert heard.wait(10), "the broker stopped delivering"
    finally:
        stop.set()
        for client in clients:
            client.disconnect()
            client.loop_stop()
        broker.stop()
