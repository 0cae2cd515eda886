"""Commands from the cloud: validated, applied once by envelope id, answered with an ack.

Transport-free: the link hands in topic and payload and sends the acks this returns.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from edge.errors import CommandRejected
from edge.store import Store
from mqtt.codec import ContractError, Rejections, decode_envelope, validate_data
from mqtt.envelope import MAX_PAYLOAD_BYTES, Envelope
from mqtt.messages import CommandAck, Data, EventsStored
from mqtt.topics import Topic

log = logging.getLogger(__name__)
ID_PATTERN = re.compile(r"^[0-9A-Za-z_-]{1,64}$")

Handler = Callable[[Envelope, Data], None]  # raises CommandRejected when it cannot apply


@dataclass(frozen=True, slots=True)
class Outcome:
    ack: CommandAck | None = None
    confirmed: int = 0  # outbox rows an ``events.stored`` removed


class CommandInbox:
    def __init__(self, *, store: Store, handler: Handler, now: Callable[[], datetime], topic: str) -> None:
        self._topic = topic
        self._store = store
        self._handler = handler
        self._now = now
        self.rejections = Rejections()
        self.applied = 0
        self.duplicates = 0

    def receive(self, topic: str, payload: bytes) -> Outcome:
        """Handle one cmd message; never raises for bad input."""
        if topic != self._topic:  # some brokers deliver retained or foreign messages anyway
            self.rejections.add("topic")
            log.debug("ignored a message on %s: not this gateway's command topic", topic[:200])
            return Outcome()
        try:
            parsed, envelope = decode_envelope(topic, payload)
        except ContractError as exc:
            return self._reject_unreadable(exc, payload)
        if salvage_id(payload) != envelope.id:  # the envelope model would have invented one
            return self._reject_unreadable(ContractError("envelope", "command without an id"), payload)
        if envelope.type == "events.stored":
            return self._stored(parsed, envelope)
        previous = self._store.command_outcome(envelope.id)
        if previous is not None:
            self.duplicates += 1
            return Outcome(ack=CommandAck(command_id=envelope.id, ok=previous[0], error=previous[1]))
        return Outcome(ack=self._apply(parsed, envelope))

    def _apply(self, parsed: Topic, envelope: Envelope) -> CommandAck:
        try:
            data = validate_data(parsed, envelope)
            if data is None:
                raise CommandRejected(f"unknown command type {envelope.type!r}")
            with self._store.transaction():
                self._handler(envelope, data)
                self._store.remember_command(envelope.id, type=envelope.type, ok=True, error="",
                                             at=self._now())
            self.applied += 1
            return CommandAck(command_id=envelope.id)
        except ContractError as exc:
            self.rejections.add(exc.reason)
            return self._refused(envelope, str(exc))
        except CommandRejected as exc:
            self.rejections.add("refused")
            return self._refused(envelope, exc.reason)

    def _refused(self, envelope: Envelope, error: str) -> CommandAck:
        log.warning("command %s (%s) refused: %s", envelope.id, envelope.type, error)
        self._store.remember_command(envelope.id, type=envelope.type, ok=False, error=error[:512],
                                     at=self._now())
        return CommandAck(command_id=envelope.id, ok=False, error=error[:512])

    def _stored(self, parsed: Topic, envelope: Envelope) -> Outcome:
        try:
            data = validate_data(parsed, envelope)
        except ContractError as exc:
            self.rejections.add(exc.reason)
            log.warning("bad events.stored %s: %s", envelope.id, exc)
            return Outcome()
        assert isinstance(data, EventsStored)
        return Outcome(confirmed=self._store.confirm(ids=data.ids, up_to_seq=data.up_to_seq))

    def _reject_unreadable(self, exc: ContractError, payload: bytes) -> Outcome:
        self.rejections.add(exc.reason)
        log.warning("command rejected (%s): %s", exc.reason, exc.detail)
        command_id = salvage_id(payload)
        if command_id is None:
            return Outcome()
        return Outcome(ack=CommandAck(command_id=command_id, ok=False, error=str(exc)[:512]))


def salvage_id(payload: bytes) -> str | None:
    """The envelope id of a payload that failed validation, when one can be read safely."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return None
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    value = raw.get("id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) and ID_PATTERN.fullmatch(value) else None
