"""The gateway's MQTT link (paho-mqtt 2): status and last will, room states, the outbox pump, commands.

The outbox's relay policy (window, resends, backoff) is ``edge.outbox.OutboxRelay``; this
adapter runs it on a thread of its own and feeds it paho's news: sessions, PUBACKs and the
cloud's ``events.stored`` confirmations.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from edge.config import GatewayConfig, broker_address
from edge.event_payload import events_payload
from edge.inbox import CommandInbox
from edge.outbox import OutboxRelay, Outgoing
from edge.ports import Clock
from edge.store import Store
from edge.telemetry.paho_port import PahoTelemetryPort
from edge.yielding import run_in_background
from mqtt.codec import encode
from mqtt.messages import CommandAck, Data, GatewayStatus, RoomState
from mqtt.topics import Kind, Topic

log = logging.getLogger(__name__)


class MqttLink:
    def __init__(self, *, config: GatewayConfig, store: Store, inbox: CommandInbox, clock: Clock,
                 room_states: Callable[[], list[RoomState]], version: str) -> None:
        self._config = config
        self._store = store
        self._inbox = inbox
        self._clock = clock
        self._room_states = room_states
        self._version = version
        self._topic = {kind: str(Topic(kind, config.site, config.floor)) for kind in
                       (Kind.STATUS, Kind.EVENTS, Kind.CMD, Kind.ACK)}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self.online = threading.Event()  # connected and subscribed to cmd
        self._generation = 0  # bumped on every connect: the pump replays from the start
        self._completed: collections.deque[int] = collections.deque()
        self._broker_window: int | None = None  # the broker's Receive Maximum (MQTT 5), per session
        self._pump_thread: threading.Thread | None = None
        self._confirmed = threading.Event()  # an events.stored removed rows: tell the relay
        self._client = self._make_client()
        self.relay = OutboxRelay(store, publish=self._publish_events, window=config.inflight_window,
                                 resend_after_s=config.resend_after_s, wall=time.time,
                                 monotonic=time.monotonic, batch_events=config.event_batch_max)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        address = broker_address(self._config)
        properties = None
        if address.protocol == 5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = self._config.session_expiry_s
        clean_start: Any = False if address.protocol == 5 else mqtt.MQTT_CLEAN_START_FIRST_ONLY
        self._client.connect_async(address.host, address.port, keepalive=self._config.mqtt_keepalive_s,
                                   clean_start=clean_start, properties=properties)
        self._client.loop_start()
        self._pump_thread = threading.Thread(target=self._pump, name=f"outbox-{self._config.client_id}",
                                             daemon=True)
        self._pump_thread.start()

    def stop(self, *, timeout: float = 5.0) -> None:
        """Publish the offline status (a clean disconnect sends no will), then disconnect."""
        self._stopping.set()
        self._wake.set()
        if self._pump_thread is not None:
            self._pump_thread.join(timeout)
        if self.online.is_set():
            info = self._client.publish(self._topic[Kind.STATUS], self._status("offline"), qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError) as exc:
                log.warning("offline status not confirmed: %s", exc)
        self._client.disconnect()
        self._client.loop_stop()

    def wake(self) -> None:
        """Something new is in the outbox."""
        self._wake.set()

    # --- paho -----------------------------------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        config = self._config
        address = broker_address(config)
        v5 = address.protocol == 5
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, client_id=config.client_id,
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
            clean_session=None if v5 else False,
        )
        client.username_pw_set(address.username, address.password)
        if address.tls:  # with a client certificate the broker knows this gateway by its CN
            client.tls_set(ca_certs=address.ca_file, certfile=address.cert_file, keyfile=address.key_file)
        self._set_will(client, None)
        client.on_pre_connect = self._set_will
        client.reconnect_delay_set(max(1, int(config.reconnect_min_s)), max(1, int(config.reconnect_max_s)))
        # The relay keeps the window itself. paho's own limit would rescan every message it holds on
        # each PUBACK (O(window) per event): 0 turns that bookkeeping off.
        client.max_inflight_messages_set(0)
        client.manual_ack_set(True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def _set_will(self, client: mqtt.Client, _userdata: object) -> None:
        """The last will (retained ``offline``), stamped at every (re)connect."""
        client.will_set(self._topic[Kind.STATUS], self._status("offline"), qos=1, retain=True)

    def _on_connect(self, client: mqtt.Client, _userdata: object, flags: Any, reason: Any,
                    _properties: Any) -> None:
        if reason.is_failure:
            log.error("broker refused %s: %s", self._config.client_id, reason)
            return
        log.info("connected as %s (session present: %s)", self._config.client_id, flags.session_present)
        run_in_background()  # paho's network thread, which calls this
        self._broker_window = getattr(_properties, "ReceiveMaximum", None) if _properties else None
        client.publish(self._topic[Kind.STATUS], self._status("online"), qos=1, retain=True)
        for state in self._room_states():
            self.publish_room_state(state, force=True)
        client.subscribe(self._topic[Kind.CMD], qos=1)

    def _on_subscribe(self, _client: mqtt.Client, _userdata: object, _mid: int, reasons: Any,
                      _properties: Any) -> None:
        if any(reason.is_failure for reason in reasons):
            log.error("subscription to %s refused: %s", self._topic[Kind.CMD], reasons)
        self._generation += 1  # the pump replays everything unconfirmed from the start
        self.online.set()
        self._wake.set()

    def _on_disconnect(self, _client: mqtt.Client, _userdata: object, _flags: Any, reason: Any,
                       _properties: Any) -> None:
        self.online.clear()
        if not self._stopping.is_set():
            log.warning("disconnected from broker: %s", reason)

    def _on_publish(self, _client: mqtt.Client, _userdata: object, mid: int, reason: Any,
                    _properties: Any) -> None:
        # Runs under paho's message lock: hand over to the pump, take no lock of ours.
        if reason.is_failure:
            log.warning("broker refused message %s: %s", mid, reason)
        self._completed.append(mid)
        self._wake.set()

    def _on_message(self, client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        try:
            outcome = self._inbox.receive(message.topic, bytes(message.payload))
            if outcome.ack is not None:
                self._send_ack(outcome.ack)
            if outcome.confirmed:
                self._confirmed.set()
                self._wake.set()
        except Exception:  # a store failure must not kill the network thread
            log.exception("command handling failed")
            self._inbox.rejections.add("internal")
        finally:
            client.ack(message.mid, message.qos)

    # --- publishing -----------------------------------------------------------------------

    def publish_room_state(self, state: RoomState, *, force: bool = False) -> None:
        """Retained snapshot; skipped while offline (all are republished on connect)."""
        if not (force or self._client.is_connected()):
            return
        topic = str(Topic(Kind.ROOM_STATE, self._config.site, self._config.floor, state.room))
        self._client.publish(topic, self._envelope("room.state", state), qos=1, retain=True)

    def telemetry_port(self) -> PahoTelemetryPort:
        """QoS 0 telemetry over this link's client (the gateway's ``TelemetryRunner`` drives it)."""
        return PahoTelemetryPort(self._client)

    def _send_ack(self, ack: CommandAck) -> None:
        # Connected is enough: a persistent session delivers queued commands before our SUBACK.
        # Offline, the ack is lost and the cloud's resend gets the stored answer again.
        if self._client.is_connected():
            self._client.publish(self._topic[Kind.ACK], self._envelope("cmd.ack", ack), qos=1)

    def _status(self, state: str) -> bytes:
        reading = self._clock.read()
        status = GatewayStatus(state="online" if state == "online" else "offline", version=self._version,
                               time=reading.at, clock_offset_s=reading.offset_s,
                               rooms=len(self._config.rooms))
        return self._envelope("gateway.status", status)

    def _envelope(self, type_: str, data: Data) -> bytes:
        return encode(type=type_, source=self._config.source, data=data).to_json()

    # --- the outbox pump ------------------------------------------------------------------

    def _publish_events(self, entries: Sequence[Outgoing]) -> int | None:
        info = self._client.publish(self._topic[Kind.EVENTS],
                                    events_payload(entries, source=self._config.source), qos=1)
        return info.mid if info.rc == mqtt.MQTT_ERR_SUCCESS else None

    def _pump(self) -> None:
        """The relay's thread: paho's callbacks only hand news over, this applies it in order."""
        run_in_background()
        generation = -1
        while not self._stopping.is_set():
            self._wake.wait(timeout=self.relay.poll_interval_s)
            self._wake.clear()
            while self._completed:
                self.relay.completed(self._completed.popleft())
            if self._confirmed.is_set():
                self._confirmed.clear()
                self.relay.confirmed()
            if not self.online.is_set():
                continue
            if generation != self._generation:
                generation = self._generation
                self.relay.resize(window_for(self._config.inflight_window, self._broker_window))
                self.relay.restart()
            try:
                if self.relay.pump():
                    self._wake.set()  # there may be more behind
            except Exception:
                log.exception("outbox pump failed; retrying")
                time.sleep(0.5)


def window_for(configured: int, broker_receive_maximum: int | None) -> int:
    """The in-flight window of a session: the configured one, never more than the broker takes
    (an MQTT 5 broker says how many unacknowledged publishes it accepts; past that it cuts us off)."""
    if broker_receive_maximum is None or broker_receive_maximum < 1:
        return configured
    return min(configured, broker_receive_maximum)
