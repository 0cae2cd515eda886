"""The simulated twin of a messaging sender: records what would have been sent.

The demo and tests use it; ``failures`` scripts DeliveryErrors to raise before succeeding.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

from cloud.core.delivery import DeliveryError
from cloud.notify.delivery import OutboundMessage

log = logging.getLogger(__name__)


class SimulatedSender:
    def __init__(self, channel: str, failures: list[DeliveryError] | None = None) -> None:
        self.channel = channel
        self.sent: list[OutboundMessage] = []
        self.failures: deque[DeliveryError] = deque(failures or [])
        self._lock = threading.Lock()

    def send(self, message: OutboundMessage) -> str:
        with self._lock:
            if self.failures:
                raise self.failures.popleft()
            self.sent.append(message)
            log.info("simulated %s to %s: %s", self.channel, message.recipient, message.text)
            return f"sim-{self.channel}-{len(self.sent)}"
