"""The telemetry worker's lean QoS 0 subscriber: packets cut out of any split of the stream, what
a QoS 0 subscriber must refuse, and against a real Mosquitto: credentials, a refusal, messages
in order, and a reconnect after the broker restarts."""

from __future__ import annotations

import threading
import time

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cloud.telemetry.subscriber import ProtocolError, QoS0Subscriber, parse
from tests.support.broker import Mosquitto

TOPIC = "posada/v1/hotel/f1/rooms/r1/telemetry"


def publish_packet(topic: str, payload: bytes, *, flags: int = 0) -> bytes:
    body = len(topic).to_bytes(2, "big") + topic.encode() + payload
    n, length = len(body), bytearray()
    while True:
        byte, n = n % 128, n // 128
        length.append(byte | (0x80 if n else 0))
        if not n:
            break
    return bytes([0x30 | flags]) + bytes(length) + body


def test_every_split_of_the_stream_gives_the_same_messages() -> None:
    # payloads whose remaining length takes one, two and three bytes
    sent = [(TOPIC, b"x" * 10), ("a/b", b""), (TOPIC, b"y" * 300), (TOPIC, b"z" * 20_000)]
    stream = b"".join(publish_packet(t, p) for t, p in sent) + b"\xd0\x00"  # and a PINGRESP
    for cut in range(0, len(stream) + 1, 7):
        first, others_1, used = parse(stream[:cut])
        rest, others_2, used_2 = parse(stream[used:])
        assert first + rest == sent
        assert others_1 + others_2 == [(13, b"")]
        assert used + used_2 == len(stream)


def test_what_a_qos0_subscriber_refuses() -> None:
    with pytest.raises(ProtocolError, match="QoS 1"):
        parse(publish_packet(TOPIC, b"{}", flags=0x02))
    with pytest.raises(ProtocolError, match="remaining length"):
        parse(b"\x30\xff\xff\xff\xff\x01")
    with pytest.raises(ProtocolError, match="overruns"):
        parse(b"\x30\x03\x00\x09a")
    with pytest.raises(ProtocolError, match="a packet of"):
        parse(b"\x30\xff\xff\x7f")


class Collected:
    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.subscribed = threading.Event()
        self.lock = threading.Lock()

    def add(self, messages: list[tuple[str, bytes]]) -> None:
        with self.lock:
            self.messages.extend(messages)

    def wait(self, count: int, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.05)
        return len(self.messages)


def subscriber(broker: Mosquitto, got: Collected, *, password: str | None = None) -> QoS0Subscriber:
    def subscribed() -> None:
        got.subscribed.set()

    return QoS0Subscriber(host="127.0.0.1", port=broker.port, client_id="tele-sub-test",
                          topic_filter="$share/t/posada/v1/+/+/rooms/+/telemetry", on_messages=got.add,
                          username="posada-cloud", password=password or broker.passwords["posada-cloud"],
                          keepalive=2, on_subscribed=subscribed, reconnect_max_s=0.5)


def publish(broker: Mosquitto, bodies: list[bytes]) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="gw-sub-test")
    client.username_pw_set("gw.hotel.f1", broker.passwords["gw.hotel.f1"])
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    for body in bodies:
        client.publish(TOPIC, body, qos=0).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


@pytest.mark.service
def test_messages_arrive_in_order_and_after_a_broker_restart(own_mosquitto: Mosquitto) -> None:
    got = Collected()
    sub = subscriber(own_mosquitto, got)
    sub.start()
    try:
        assert got.subscribed.wait(10)
        publish(own_mosquitto, [f"m{i}".encode() for i in range(500)])
        assert got.wait(500) == 500
        assert got.messages == [(TOPIC, f"m{i}".encode()) for i in range(500)]
        time.sleep(2.5)  # past a keep-alive: pings answered, still connected
        assert sub.connections == 1
        own_mosquitto.stop()
        got.subscribed.clear()
        own_mosquitto.start()
        assert got.subscribed.wait(15), "no resubscription after the broker came back"
        publish(own_mosquitto, [b"after"])
        assert got.wait(501) == 501 and got.messages[-1] == (TOPIC, b"after")
        assert sub.connections == 2
    finally:
        sub.stop()


@pytest.mark.service
def test_refused_credentials_never_subscribe(mosquitto: Mosquitto) -> None:
    got = Collected()
    sub = subscriber(mosquitto, got, password="wrong")
    sub.start()
    try:
        assert not got.subscribed.wait(1.5)
        assert sub.connections == 0
    finally:
        sub.stop()
