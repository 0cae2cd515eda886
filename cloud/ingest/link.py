"""paho-mqtt adapter for the cloud: manual acks after commit, commands out, one inbound queue."""

from __future__ import annotations

import logging
import queue
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from cloud.ingest.read_buffer import BufferedReads, Publish
from mqtt.topics import subscriptions_for_cloud
from mqtt.url import parse_mqtt_url

log = logging.getLogger(__name__)
# A link cut while the cloud had data unacknowledged (its PUBACKs, its confirmations) is given up
# after this long: without it TCP retries on a doubling timer (up to 2 min apart), so a link that
# came back after 30 s stayed silent until the next retry, 25-30 s later (the fault harness's
# broker-cloud partition row). paho then reconnects within its reconnect delay.
USER_TIMEOUT_MS = 10_000
FULL_WAIT_S = 0.002  # how often a full inbox is looked at again (paho's thread waits meanwhile)
PUBACK = struct.Struct("!BBH")  # MQTT 3.1.1 and 5: type 0x40, remaining length 2, packet id


class Inbound(NamedTuple):  # a tuple: made on paho's thread once per message
    topic: str
    payload: bytes
    mid: int
    qos: int


class _Client(paho.Client):
    """paho's client on a socket read in large pieces, whose PUBLISH packets of QoS 0 and 1 go
    to ``deliver`` in bulk (``read_buffer``); paho handles every other packet as before."""

    def __init__(self, *args: Any, deliver: Callable[[list[Publish]], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deliver = deliver

    def _create_socket(self) -> Any:
        return BufferedReads(super()._create_socket())

    def _packet_read(self) -> MQTTErrorCode:
        sock = self._sock
        if (isinstance(sock, BufferedReads) and self._in_packet["command"] == 0
                and self._protocol != paho.MQTTv5 and sock.fill()):
            publishes = sock.take_publishes()
            if publishes:
                with self._msgtime_mutex:
                    self._last_bytes_received = time.monotonic()
                self._deliver(publishes)
                return MQTTErrorCode.MQTT_ERR_SUCCESS
        return super()._packet_read()


class CloudLink:
    """One MQTT session of a cloud worker. Messages are acked only when ``ack`` is called."""

    def __init__(self, url: str, *, client_id: str, share_group: str | None = None,
                 inbox_max: int = 100_000, filters: list[str] | None = None) -> None:
        self.address = parse_mqtt_url(url)
        # SimpleQueue (C) rather than Queue: a put and a get cost a fraction, with no lock in
        # Python; its bound is kept by _on_message
        self.inbox: queue.SimpleQueue[Inbound] = queue.SimpleQueue()
        self.inbox_max = inbox_max
        self.connected = threading.Event()
        self._filters = filters if filters is not None else subscriptions_for_cloud(share_group)
        v5 = self.address.protocol == 5
        self._client = _Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=paho.MQTTv5 if v5 else paho.MQTTv311,
            clean_session=None if v5 else False,
            manual_ack=True,
            deliver=self._on_publishes,
        )
        if self.address.username:
            self._client.username_pw_set(self.address.username, self.address.password)
        if self.address.tls:  # mqtts://...?ca=&cert=&key=: the broker knows the cloud by its certificate
            self._client.tls_set(ca_certs=self.address.ca_file, certfile=self.address.cert_file,
                                 keyfile=self.address.key_file)
        self._client.max_inflight_messages_set(1000)
        self._client.max_queued_messages_set(0)
        self._client.reconnect_delay_set(min_delay=1, max_delay=10)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    def start(self) -> None:
        props = None
        if self.address.protocol == 5:
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = 7 * 24 * 3600
        self._client.connect_async(self.address.host, self.address.port, keepalive=30,
                                   clean_start=False if props else paho.MQTT_CLEAN_START_FIRST_ONLY,
                                   properties=props)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        self.connected.clear()

    def ack(self, mid: int, qos: int) -> None:
        if qos > 0:
            self._client.ack(mid, qos)

    def ack_all(self, messages: Iterable[Inbound]) -> None:
        """Acknowledge ``messages`` (QoS 1; a QoS 0 message has nothing to ack) in one write:
        their PUBACKs back to back in one packet of paho's queue, which is sent as it is.
        ``ack`` one by one costs paho a queued packet, a wake-up of its thread and a send each."""
        mids = [m.mid for m in messages if m.qos == 1]
        queue_packet = getattr(self._client, "_packet_queue", None)
        if queue_packet is None:  # a paho without it: one PUBACK at a time
            for mid in mids:
                self._client.ack(mid, 1)
            return
        if mids:
            queue_packet(paho.PUBACK, b"".join([PUBACK.pack(paho.PUBACK, 2, mid) for mid in mids]), 0, 0)
        for m in messages:
            if m.qos == 2:
                self._client.ack(m.mid, 2)

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        self._client.publish(topic, payload, qos=qos, retain=retain)

    def _on_connect(self, client: paho.Client, _u: object, _f: object, reason: object,
                    _p: object = None) -> None:
        if getattr(reason, "is_failure", False):
            log.error("broker %s refused the cloud: %s", self.address.redacted(), reason)
            return
        _give_up_on_silence(client)
        client.subscribe([(f, 1) for f in self._filters])
        self.connected.set()
        log.info("cloud connected to %s", self.address.redacted())

    def _on_disconnect(self, _c: object, _u: object, _f: object, reason: object, _p: object = None) -> None:
        self.connected.clear()
        log.warning("cloud disconnected from broker: %s", reason)

    def _on_publishes(self, publishes: list[Publish]) -> None:
        """Messages cut out of the stream in bulk (``read_buffer``), as ``_on_message`` takes them."""
        inbox = self.inbox
        for topic, payload, mid, qos in publishes:
            while inbox.qsize() >= self.inbox_max:
                time.sleep(FULL_WAIT_S)
            inbox.put(Inbound(topic, payload, mid, qos))

    def _on_message(self, _c: object, _u: object, msg: paho.MQTTMessage) -> None:
        # Holds paho's thread when the writer falls behind: back-pressure, never a drop.
        inbox = self.inbox
        while inbox.qsize() >= self.inbox_max:
            time.sleep(FULL_WAIT_S)
        inbox.put(Inbound(msg.topic, bytes(msg.payload), msg.mid, msg.qos))


def _give_up_on_silence(client: paho.Client) -> None:
    """TCP_USER_TIMEOUT on the session's socket (Linux), so a dead link is noticed in seconds."""
    sock = client.socket()
    option = getattr(socket, "TCP_USER_TIMEOUT", None)
    if sock is None or option is None:
        return
    try:
        sock.setsockopt(socket.IPPROTO_TCP, option, USER_TIMEOUT_MS)  # type: ignore[attr-defined]
    except OSError as exc:  # not a TCP socket (a test double): keep TCP's own timers
        log.debug("TCP_USER_TIMEOUT not set: %s", exc)

