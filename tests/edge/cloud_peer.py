"""A paho client acting as the cloud for one floor: records what the gateway sends, confirms events."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from mqtt.batch import BATCH_TYPE
from mqtt.codec import encode
from mqtt.messages import Data, EventsStored
from mqtt.url import parse_mqtt_url


class CloudPeer:
    def __init__(self, url: str, *, site: str, floor: str, confirm: bool = True,
                 client_id: str | None = None, batch_s: float | None = None) -> None:
        """``batch_s``: confirm in batches every so often, as the cloud's ingest does."""
        self.site, self.floor, self.confirm = site, floor, confirm
        self._batch: list[str] = []
        self._batch_s = batch_s
        self._closing = threading.Event()
        if batch_s is not None:
            threading.Thread(target=self._flush_every, args=(batch_s,), daemon=True).start()
        self.base = f"posada/v1/{site}/{floor}"
        self.events: list[dict[str, Any]] = []  # batches unpacked: one entry per event
        self.messages = 0  # MQTT messages on the events topic
        self.acks: list[dict[str, Any]] = []
        self.statuses: list[dict[str, Any]] = []
        self.states: dict[str, dict[str, Any]] = {}
        self.telemetry: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.connected = threading.Event()
        address = parse_mqtt_url(url)
        self.client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2,
                                  client_id=client_id or f"peer-{site}-{floor}-{time.monotonic_ns()}",
                                  clean_session=False)
        self.client.username_pw_set(address.username, address.password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 2)
        self.client.connect_async(address.host, address.port, keepalive=10)
        self.client.loop_start()
        wait_until(self.connected.is_set, timeout=10, what="cloud peer connection")

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:
        for kind in ("events", "status", "ack", "rooms/+/state", "rooms/+/telemetry"):
            client.subscribe(f"{self.base}/{kind}", qos=1)
        self.connected.set()

    def _on_message(self, _client: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        body = json.loads(message.payload)
        body["_received"] = time.monotonic()
        events = _unbatched(body) if message.topic.endswith("/events") else []
        with self._lock:
            if message.topic.endswith("/events"):
                self.events.extend(events)
                self.messages += 1
            elif message.topic.endswith("/ack"):
                self.acks.append(body)
            elif message.topic.endswith("/status"):
                self.statuses.append(body)
            elif message.topic.endswith("/telemetry"):
                self.telemetry.append(body)
            else:
                self.states[body["data"]["room"]] = body
        if self.confirm and message.topic.endswith("/events"):
            with self._lock:
                self._batch.extend(event["id"] for event in events)
            if self._batch_s is None:
                self._flush()

    def _flush(self) -> None:
        with self._lock:
            ids, self._batch = self._batch, []
        for start in range(0, len(ids), 5000):
            self.command("events.stored", EventsStored(ids=ids[start:start + 5000]))

    def _flush_every(self, seconds: float) -> None:
        while not self._closing.wait(seconds):
            self._flush()

    def command(self, type_: str, data: Data, *, id: str | None = None) -> str:
        envelope = encode(type=type_, source="cloud", data=data, id=id)
        self.publish_raw(envelope.to_json())
        return envelope.id

    def publish_raw(self, payload: bytes) -> None:
        self.client.publish(f"{self.base}/cmd", payload, qos=1)

    def first_seqs(self) -> list[int]:
        """Event seqs in order of first arrival (redeliveries left out)."""
        seen: set[str] = set()
        out: list[int] = []
        with self._lock:
            for event in self.events:
                if event["id"] not in seen:
                    seen.add(event["id"])
                    out.append(event["seq"])
        return out

    def acks_for(self, command_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [a["data"] for a in self.acks if a["data"]["command_id"] == command_id]

    def last_status(self) -> str | None:
        with self._lock:
            return self.statuses[-1]["data"]["state"] if self.statuses else None

    def close(self) -> None:
        self._closing.set()
        self.client.disconnect()
        self.client.loop_stop()


def _unbatched(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The events of a message: itself, or the items of an ``events.batch`` as full envelopes."""
    if body.get("type") != BATCH_TYPE:
        return [body]
    return [{"v": body["v"], "source": body["source"], **item, "_received": body["_received"]}
            for item in body["data"]["events"]]


def wait_until(check: Callable[[], bool], *, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
