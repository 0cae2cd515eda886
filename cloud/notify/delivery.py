"""What a message sender is: the message it is given and the protocol it implements.

Senders raise :class:`cloud.core.delivery.DeliveryError`; the outbox decides retry or dead
letter from its ``permanent`` flag alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """What a sender needs; ``id`` is stable across retries (an idempotency key)."""

    id: str
    channel: str
    recipient: str
    text: str
    language: str = "en"
    image_png: bytes | None = None
    template: str | None = None  # the provider-approved template for out-of-window sends
    template_params: list[str] = field(default_factory=list)
    in_session_window: bool = False
    payload: dict[str, Any] = field(default_factory=dict)  # the queued payload (email: subject, parts)


class Sender(Protocol):
    channel: str

    def send(self, message: OutboundMessage) -> str:
        """Deliver and return the provider's message id, or raise DeliveryError."""
        ...
