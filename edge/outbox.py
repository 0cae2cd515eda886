"""The outbox relay policy: which recorded events to publish next, and when to send one again.

Pure: no paho, no SQLite, no threads. The rows come through ``OutboxRows`` (the gateway's
``Store``, or ``MemoryOutbox`` here), messages leave through a ``Publish`` function (the paho
adapter in ``edge/link.py``), and time is injected.

- Events go out in ``seq`` order through a window of at most ``window`` unacknowledged
  publishes; a PUBACK (``completed``) frees a place in it. A publish carries up to
  ``batch_events`` events (``mqtt.batch``) when that many are waiting, one when one is.
- A PUBACK forgets nothing: a row stays until the cloud confirms it (``events.stored``
  deletes it from the rows). A row sent more than ``resend_after_s`` ago and still there is
  sent again; while nothing is confirmed that wait doubles, up to ``MAX_BACKOFF`` times. The
  rows due are looked for a few times a second; once some are found, the resend round goes on
  at the window's pace until every row due then is sent again (a broker that dropped a whole
  backlog, routed to no subscriber, gets it back in seconds, not ``READ_MAX`` rows a look).
- A new session (``restart``) replays everything still unconfirmed from the start.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from mqtt.batch import HEAD_ROOM, MAX_EVENTS, item_size
from mqtt.envelope import MAX_PAYLOAD_BYTES

MAX_BACKOFF = 32  # resend_after_s x 32 at most between resends of unconfirmed events
READ_MAX = 4000  # rows read from the outbox per pump, at most
BATCH_BYTES = MAX_PAYLOAD_BYTES - HEAD_ROOM


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One recorded event; ``seq`` is the gateway's event sequence (never reused)."""

    seq: int
    id: str
    type: str
    room: str | None
    data: dict[str, Any]
    created: datetime
    data_json: str | None = None  # ``data`` as the store keeps it (compact JSON), when at hand
    created_text: str | None = None  # ``created`` as the store keeps it (RFC 3339), when at hand


class OutboxRow(NamedTuple):
    """An outbox row as the relay reads it: the stored text as it is, nothing parsed (a floor
    back from an outage relays thousands a second, and a row becomes a batch item by splicing)."""

    seq: int
    id: str
    type: str
    data_json: str  # the event's data as the store keeps it (compact JSON)
    created_text: str  # the time the outbox recorded it, RFC 3339 as stored

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_text)

    @property
    def data(self) -> dict[str, Any]:
        return dict(json.loads(self.data_json))


Outgoing = OutboxEntry | OutboxRow  # what the relay reads and publishes


class OutboxRows(Protocol):
    """The unconfirmed rows the relay reads, and the send times it writes."""

    def after(self, seq: int, *, limit: int, with_data: bool = True) -> Sequence[Outgoing]:
        """Unconfirmed events with a sequence above ``seq``, in order; ``with_data=False`` may
        give ``OutboxRow``s, the stored text only (the relay sends the JSON as stored)."""
        ...

    def stale(self, *, sent_before: float, up_to_seq: int, limit: int,
              with_data: bool = True) -> Sequence[Outgoing]:
        """Events last sent before ``sent_before`` (epoch seconds), still unconfirmed, in order."""
        ...

    def mark_sent(self, seqs: Iterable[int], *, at: float) -> None: ...


class Publish(Protocol):
    def __call__(self, entries: Sequence[Outgoing], /) -> int | None:
        """Hand events to the broker client as one message (a batch when more than one): its
        message id, or None when it was refused."""
        ...


def pack(entries: Sequence[Outgoing], *, max_events: int,
         max_bytes: int = BATCH_BYTES) -> list[list[Outgoing]]:
    """Entries in order, grouped into messages of at most ``max_events`` and ``max_bytes``."""
    groups: list[list[Outgoing]] = []
    size = 0
    for entry in entries:
        data_json = entry.data_json if entry.data_json is not None else json.dumps(entry.data)
        bytes_ = item_size(id=entry.id, type=entry.type, data_json=data_json)
        if not groups or len(groups[-1]) >= max_events or size + bytes_ > max_bytes:
            groups.append([])
            size = 0
        groups[-1].append(entry)
        size += bytes_
    return groups


class OutboxRelay:
    """Drive it from one thread: ``restart`` on a new session, ``completed`` per PUBACK,
    ``confirmed`` when the cloud confirmed something, ``pump`` whenever any of that happened."""

    def __init__(self, rows: OutboxRows, *, publish: Publish, window: int, resend_after_s: float,
                 wall: Callable[[], float], monotonic: Callable[[], float],
                 batch_events: int = 1) -> None:
        if window < 1:
            raise ValueError("the in-flight window needs at least one place")
        if not 1 <= batch_events <= MAX_EVENTS:
            raise ValueError(f"a message carries 1 to {MAX_EVENTS} events")
        self._rows, self._publish = rows, publish
        self._batch_events = batch_events
        self._window, self._resend_after_s = window, resend_after_s
        self._wall, self._monotonic = wall, monotonic
        self._inflight: dict[int, int] = {}  # message id -> events it carries
        self._cursor = 0  # highest seq sent in this session
        self._backoff = 1
        self._confirmed_since_resend = False
        self._stale_check_at = 0.0  # monotonic time of the next look for events to resend
        self._resend_before: float | None = None  # a resend round: rows last sent before this are due
        self.published = 0
        self.republished = 0

    @property
    def poll_interval_s(self) -> float:
        """How often to look for events due for resending when nothing else happens."""
        return min(1.0, self._resend_after_s / 4)

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    @property
    def window(self) -> int:
        return self._window

    def resize(self, window: int) -> None:
        """A new window (the broker's Receive Maximum of this session); what is in flight stays."""
        if window < 1:
            raise ValueError("the in-flight window needs at least one place")
        self._window = window

    @property
    def backoff(self) -> int:
        return self._backoff

    def restart(self) -> None:
        """A new session: forget what was in flight and replay every unconfirmed event in order."""
        self._inflight.clear()
        self._cursor = 0
        self._resend_before = None

    def completed(self, message_id: int) -> None:
        """The broker acknowledged (or refused) a publish: its place in the window is free."""
        self._inflight.pop(message_id, None)

    def confirmed(self) -> None:
        """The cloud confirmed stored events: resends go back to the normal pace."""
        self._confirmed_since_resend = True

    def pump(self) -> bool:
        """Publish what fits in the window, resends first; True when more may be waiting."""
        free = self._window - len(self._inflight)
        if free <= 0:
            return False
        room = min(free * self._batch_events, READ_MAX)
        stale = self._due_for_resend(room)
        fresh = (self._rows.after(self._cursor, limit=room - len(stale), with_data=False)
                 if room > len(stale) else [])
        sent = self._send([*stale, *fresh], messages=free)
        if sent:
            self._rows.mark_sent(sent, at=self._wall())
            self.published += len(sent)
            self.republished += min(len(stale), len(sent))
        sent_fresh = [seq for seq in sent if seq > self._cursor]
        if not sent_fresh:
            return bool(sent) and self._resend_before is not None
        self._cursor = max(sent_fresh)
        return len(sent_fresh) == len(fresh) or self._resend_before is not None

    def _send(self, entries: list[Outgoing], *, messages: int) -> list[int]:
        """Publish ``entries`` in order, in at most ``messages`` messages; the seqs sent."""
        sent: list[int] = []
        for group in pack(entries, max_events=self._batch_events)[:messages]:
            message_id = self._publish(group)
            if message_id is None:
                break
            self._inflight[message_id] = len(group)
            sent.extend(entry.seq for entry in group)
        return sent

    def _due_for_resend(self, limit: int) -> Sequence[Outgoing]:
        """Unconfirmed events past their resend time. A round starts at most a few times a second
        (scanning the unconfirmed rows on every batch would cost O(backlog) per batch) and goes on
        while a look fills its ``limit``, with the same cutoff and one backoff step per round."""
        sent_before = self._resend_before
        if sent_before is None:
            now = self._monotonic()
            if now < self._stale_check_at:
                return []
            self._stale_check_at = now + self.poll_interval_s
            sent_before = self._wall() - self._resend_after_s * self._backoff
        due = self._rows.stale(sent_before=sent_before, up_to_seq=self._cursor, limit=limit,
                               with_data=False)
        if due and self._resend_before is None:
            self._adjust_backoff()
        self._resend_before = sent_before if len(due) >= limit else None
        return due

    def _adjust_backoff(self) -> None:
        """Resend less often while the cloud confirms nothing, so an outage does not flood the broker."""
        if self._confirmed_since_resend:
            self._confirmed_since_resend = False
            self._backoff = 1
        else:
            self._backoff = min(self._backoff * 2, MAX_BACKOFF)


class MemoryOutbox:
    """In-memory twin of the store's outbox (``edge.store.Store``), for tests and simulations."""

    def __init__(self) -> None:
        self._rows: dict[int, OutboxEntry] = {}
        self._last_sent: dict[int, float] = {}
        self._seq = 0

    def append(self, entry: OutboxEntry) -> OutboxEntry:
        """Record an event; its seq is assigned here, as the store's AUTOINCREMENT does."""
        self._seq += 1
        stored = replace(entry, seq=self._seq)
        self._rows[self._seq] = stored
        return stored

    def after(self, seq: int, *, limit: int, with_data: bool = True) -> list[OutboxEntry]:
        return [self._rows[s] for s in sorted(self._rows) if s > seq][:limit]

    def stale(self, *, sent_before: float, up_to_seq: int, limit: int,
              with_data: bool = True) -> list[OutboxEntry]:
        due = [s for s in sorted(self._rows)
               if s <= up_to_seq and s in self._last_sent and self._last_sent[s] < sent_before]
        return [self._rows[s] for s in due[:limit]]

    def mark_sent(self, seqs: Iterable[int], *, at: float) -> None:
        for seq in seqs:
            if seq in self._rows:
                self._last_sent[seq] = at

    def confirm(self, *, ids: Iterable[str] = (), up_to_seq: int | None = None) -> int:
        """Forget what the cloud stored: by id, or every sent event up to a seq."""
        wanted = set(ids)
        gone = [s for s, e in self._rows.items()
                if e.id in wanted or (up_to_seq is not None and s <= up_to_seq and s in self._last_sent)]
        for seq in gone:
            del self._rows[seq]
            self._last_sent.pop(seq, None)
        return len(gone)

    def pending_count(self) -> int:
        return len(self._rows)
