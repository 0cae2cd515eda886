"""The telemetry port over the gateway link's paho client (QoS 0, never queued offline)."""

from __future__ import annotations

import paho.mqtt.client as mqtt


class PahoTelemetryPort:
    """``publish_telemetry`` for a connected paho client; False while it is not connected,
    so the pump keeps the readings in its backlog instead of paho's unbounded queue."""

    def __init__(self, client: mqtt.Client) -> None:
        self._client = client
        self.published = 0

    def publish_telemetry(self, topic: str, payload: bytes) -> bool:
        if not self._client.is_connected():
            return False
        info = self._client.publish(topic, payload, qos=0)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return False
        self.published += 1
        return True
