"""The node's MQTT link (paho-mqtt 2): its outbox up to the cloud on ``.../nodes/{node}/events``,
the cloud's confirmations and commands down on ``.../cmd``, its status (retained, last will).

The relay policy is the gateway's (``edge.outbox.OutboxRelay``): a window of unconfirmed
publishes, resends with backoff, everything unconfirmed replayed on each new session. A row
leaves the outbox only when the cloud's ``events.stored`` names it.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from edge.outbox import OutboxRelay, Outgoing
from mqtt.codec import ContractError, Message, encode, event_json
from mqtt.messages import CommandAck, EventsStored, GatewayStatus
from mqtt.node_topics import NodeTopic, decode_node
from mqtt.topics import Kind
from mqtt.url import parse_mqtt_url
from node.outbox import NodeOutbox

log = logging.getLogger(__name__)
CommandHandler = Callable[[Message], None]
LinkHandler = Callable[[bool], None]


class NodeLink:
    """Start it once; it reconnects by itself. ``wake`` after recording an operation."""

    def __init__(
        self,
        url: str,
        *,
        site: str,
        node: str,
        outbox: NodeOutbox,
        on_command: CommandHandler | None = None,
        window: int = 100,
        resend_after_s: float = 10.0,
        on_link: LinkHandler | None = None,
    ) -> None:
        self.address = parse_mqtt_url(url)
        self.source = f"node-{node}"
        self._topic = {
            k: str(NodeTopic(k, site, node)) for k in (Kind.STATUS, Kind.EVENTS, Kind.CMD, Kind.ACK)
        }
        self._outbox, self._on_command, self._on_link = outbox, on_command, on_link
        self.online = threading.Event()
        self.confirmations = 0
        self.rejected = 0  # commands from the cloud that could not be read or applied
        self._wake, self._stopping = threading.Event(), threading.Event()
        self._generation = 0
        self._completed: collections.deque[int] = collections.deque()
        self._client = self._make_client(f"node-{site}-{node}")
        self.relay = OutboxRelay(
            outbox,
            publish=self._publish,
            window=window,
            resend_after_s=resend_after_s,
            wall=time.time,
            monotonic=time.monotonic,
        )
        self._thread = threading.Thread(target=self._pump, name=f"node-outbox-{node}", daemon=True)

    def start(self) -> None:
        self._client.connect_async(
            self.address.host, self.address.port, keepalive=10, clean_start=paho.MQTT_CLEAN_START_FIRST_ONLY
        )
        self._client.loop_start()
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(5)
        self._client.disconnect()
        self._client.loop_stop()

    def wake(self) -> None:
        self._wake.set()

    def ack(self, command_id: str, *, ok: bool = True, error: str = "") -> None:
        """Answer a command of the cloud on the node's ``ack`` topic (best effort: QoS 1)."""
        data = CommandAck(command_id=command_id[:64], ok=ok, error=error[:512])
        payload = encode(type="cmd.ack", source=self.source, data=data).to_json()
        self._client.publish(self._topic[Kind.ACK], payload, qos=1)

    def _make_client(self, client_id: str) -> paho.Client:
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=paho.MQTTv311,
            clean_session=False,
            manual_ack=True,
        )
        if self.address.username:
            client.username_pw_set(self.address.username, self.address.password)
        client.will_set(self._topic[Kind.STATUS], self._status("offline"), qos=1, retain=True)
        client.reconnect_delay_set(1, 2)
        client.max_inflight_messages_set(0)  # the relay keeps the window
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        return client

    def _on_connect(self, client: paho.Client, _u: object, _f: Any, reason: Any, _p: Any = None) -> None:
        if reason.is_failure:
            log.error("broker refused the node: %s", reason)
            return
        client.publish(self._topic[Kind.STATUS], self._status("online"), qos=1, retain=True)
        client.subscribe(self._topic[Kind.CMD], qos=1)
        self._generation += 1
        self.online.set()
        self._wake.set()
        if self._on_link is not None:
            self._on_link(True)

    def _on_disconnect(self, _c: object, _u: object, _f: Any, reason: Any, _p: Any = None) -> None:
        self.online.clear()
        if not self._stopping.is_set():
            log.warning("node disconnected from the broker: %s", reason)
            if self._on_link is not None:
                self._on_link(False)

    def _on_publish(self, _c: object, _u: object, mid: int, _r: Any, _p: Any) -> None:
        self._completed.append(mid)
        self._wake.set()

    def _on_message(self, client: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        try:
            decoded = decode_node(message.topic, bytes(message.payload))
            if isinstance(decoded.data, EventsStored):
                self.confirmations += self._outbox.confirm(
                    ids=decoded.data.ids, up_to_seq=decoded.data.up_to_seq
                )
                self.relay.confirmed()
            elif self._on_command is not None:
                self._on_command(decoded)
        except ContractError as exc:
            self.rejected += 1
            log.warning("command refused (%s): %s", exc.reason, exc)
        except Exception:  # a storage failure must not kill paho's network thread
            self.rejected += 1
            log.exception("command handling failed")
        finally:
            client.ack(message.mid, message.qos)
            self._wake.set()

    def _status(self, state: str) -> bytes:
        status = GatewayStatus(state="online" if state == "online" else "offline")
        return encode(type="gateway.status", source=self.source, data=status).to_json()

    def _publish(self, entries: Sequence[Outgoing]) -> int | None:
        """One event per message (the relay is built with batches of one): the cloud's node
        ingest confirms and replays a node's operations one by one, in order."""
        [entry] = entries
        payload = event_json(
            id=entry.id,
            type=entry.type,
            ts=entry.created_text or entry.created,
            source=self.source,
            seq=entry.seq,
            data_json=entry.data_json or "{}",
        )
        info = self._client.publish(self._topic[Kind.EVENTS], payload, qos=1)
        return info.mid if info.rc == paho.MQTT_ERR_SUCCESS else None

    def _pump(self) -> None:
        generation = -1
        while not self._stopping.is_set():
            self._wake.wait(timeout=self.relay.poll_interval_s)
            self._wake.clear()
            while self._completed:
                self.relay.completed(self._completed.popleft())
            if not self.online.is_set():
                continue
            if generation != self._generation:
                generation = self._generation
                self.relay.restart()
            if self.relay.pump():
                self._wake.set()
