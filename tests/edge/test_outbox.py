"""The outbox relay policy, with the in-memory outbox and a fake broker: no paho, no SQLite."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.event_payload import events_payload
from edge.outbox import MAX_BACKOFF, READ_MAX, MemoryOutbox, OutboxEntry, OutboxRelay, pack
from mqtt.envelope import MAX_PAYLOAD_BYTES

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class FakeBroker:
    """Takes publishes while ``accepting``; message ids count up like paho's."""

    def __init__(self) -> None:
        self.sent: list[int] = []  # seqs in the order they were published
        self.messages: list[list[int]] = []  # the seqs of each message
        self.mids: dict[int, int] = {}  # message id -> seq
        self.accepting = True

    def __call__(self, entries: Sequence[OutboxEntry], /) -> int | None:
        if not self.accepting:
            return None
        mid = len(self.messages) + 1
        self.messages.append([entry.seq for entry in entries])
        self.sent.extend(entry.seq for entry in entries)
        self.mids[mid] = entries[0].seq
        return mid

    def ack_all(self, relay: OutboxRelay) -> None:
        for mid in list(self.mids):
            relay.completed(mid)
        self.mids.clear()


class Clock:
    def __init__(self) -> None:
        self.t = 1_000.0

    def __call__(self) -> float:
        return self.t


Rig = tuple[OutboxRelay, MemoryOutbox, FakeBroker, Clock]


def rig(*, window: int = 4, resend_after_s: float = 10.0, batch_events: int = 1) -> Rig:
    rows, broker, clock = MemoryOutbox(), FakeBroker(), Clock()
    relay = OutboxRelay(rows, publish=broker, window=window, resend_after_s=resend_after_s,
                        wall=clock, monotonic=clock, batch_events=batch_events)
    return relay, rows, broker, clock


def record(rows: MemoryOutbox, count: int) -> list[OutboxEntry]:
    return [rows.append(OutboxEntry(seq=0, id=f"e{rows.pending_count() + n}-{n}", type="door.opened",
                                    room="101", data={"room": "101"}, created=T0))
            for n in range(count)]


def test_events_go_out_in_sequence_order_within_the_window() -> None:
    relay, rows, broker, _ = rig(window=4)
    record(rows, 6)
    assert relay.pump() is True  # a full window: more may wait behind
    assert broker.sent == [1, 2, 3, 4] and relay.inflight == 4
    assert relay.pump() is False  # no place until a PUBACK
    broker.ack_all(relay)
    relay.pump()
    assert broker.sent == [1, 2, 3, 4, 5, 6]


def test_a_puback_forgets_nothing_unconfirmed_events_are_sent_again() -> None:
    relay, rows, broker, clock = rig(resend_after_s=10)
    record(rows, 2)
    relay.pump()
    broker.ack_all(relay)
    clock.t += 5
    relay.pump()
    assert broker.sent == [1, 2]  # not due yet
    clock.t += 6
    relay.pump()
    assert broker.sent == [1, 2, 1, 2] and relay.republished == 2


def test_confirmed_events_are_never_sent_again() -> None:
    relay, rows, broker, clock = rig(resend_after_s=10)
    entries = record(rows, 3)
    relay.pump()
    broker.ack_all(relay)
    assert rows.confirm(ids=[entries[0].id], up_to_seq=2) == 2
    relay.confirmed()
    clock.t += 11
    relay.pump()
    assert broker.sent == [1, 2, 3, 3]


def test_resends_back_off_while_the_cloud_confirms_nothing_and_recover_once_it_does() -> None:
    relay, rows, broker, clock = rig(resend_after_s=1)
    record(rows, 1)
    relay.pump()
    waits = []
    for _ in range(8):
        broker.ack_all(relay)
        sent = len(broker.sent)
        while len(broker.sent) == sent:
            clock.t += 0.25
            relay.pump()
        waits.append(relay.backoff)
    assert waits == [2, 4, 8, 16, 32, MAX_BACKOFF, MAX_BACKOFF, MAX_BACKOFF]
    relay.confirmed()
    broker.ack_all(relay)
    clock.t += 40
    relay.pump()
    assert relay.backoff == 1


def test_a_resend_round_goes_on_at_the_windows_pace_until_every_due_event_is_sent_again() -> None:
    """A broker that routed a whole backlog to no subscriber PUBACKed it all: once the events are
    due, they go again as fast as the window frees, not ``READ_MAX`` of them per look."""
    relay, rows, broker, clock = rig(window=50, resend_after_s=15, batch_events=200)
    record(rows, 3 * READ_MAX + 10)
    while relay.pump():
        broker.ack_all(relay)
    broker.ack_all(relay)
    first_round = len(broker.sent)
    assert first_round == 3 * READ_MAX + 10
    clock.t += 15.5
    pumps = 0
    while relay.pump():
        broker.ack_all(relay)
        pumps += 1
    broker.ack_all(relay)
    relay.pump()
    assert sorted(broker.sent[first_round:]) == list(range(1, first_round + 1))  # each once, no clock tick
    assert relay.backoff == 2 and pumps >= 3  # one backoff step for the round, many looks
    relay.pump()
    assert len(broker.sent) == 2 * first_round  # the round is over: nothing is due again yet


def test_a_new_session_replays_everything_unconfirmed_from_the_start() -> None:
    relay, rows, broker, _ = rig(window=10)
    entries = record(rows, 3)
    relay.pump()  # no PUBACK comes: the connection dropped
    rows.confirm(ids=[entries[1].id])
    relay.restart()
    relay.pump()
    assert broker.sent == [1, 2, 3, 1, 3]


def test_a_refused_publish_stops_the_batch_and_is_tried_again() -> None:
    relay, rows, broker, _ = rig()
    record(rows, 2)
    broker.accepting = False
    assert relay.pump() is False and relay.inflight == 0
    broker.accepting = True
    relay.pump()
    assert broker.sent == [1, 2]


def test_a_window_needs_a_place() -> None:
    with pytest.raises(ValueError):
        rig(window=0)


def test_waiting_events_share_messages_and_the_window_counts_messages() -> None:
    relay, rows, broker, _ = rig(window=2, batch_events=3)
    record(rows, 8)
    assert relay.pump() is True
    assert broker.messages == [[1, 2, 3], [4, 5, 6]] and relay.inflight == 2
    broker.ack_all(relay)
    relay.pump()
    assert broker.messages[2:] == [[7, 8]]


def test_a_lone_event_goes_out_alone_at_once() -> None:
    relay, rows, broker, _ = rig(batch_events=200)
    record(rows, 1)
    relay.pump()
    assert broker.messages == [[1]]


def test_batches_stay_under_the_payload_limit_and_within_the_window() -> None:
    entries = [OutboxEntry(seq=n, id=f"e{n}", type="tamper", room=None, data={},
                           data_json=json.dumps({"detail": "x" * 200}), created=T0) for n in range(1, 701)]
    groups = pack(entries, max_events=1000)
    assert len(groups) > 1 and [e.seq for g in groups for e in g] == list(range(1, 701))
    assert all(len(events_payload(g, source="gw.hotel.f1")) <= MAX_PAYLOAD_BYTES for g in groups)
    relay, rows, broker, _ = rig(window=1, batch_events=1000)
    for entry in entries:
        rows.append(entry)
    relay.pump()
    assert len(broker.messages) == 1 and broker.messages[0] == [e.seq for e in groups[0]]


def test_a_message_carries_one_to_a_thousand_events() -> None:
    for batch_events in (0, 1001):
        with pytest.raises(ValueError):
            rig(batch_events=batch_events)


@given(st.lists(st.sampled_from(["record", "pump", "ack", "confirm", "restart", "wait"]), max_size=60),
       st.sampled_from([1, 2, 5]))
def test_every_unconfirmed_event_is_sent_and_sends_never_exceed_the_window(steps: list[str],
                                                                          batch_events: int) -> None:
    relay, rows, broker, clock = rig(window=3, resend_after_s=1, batch_events=batch_events)
    for step in steps:
        if step == "record":
            record(rows, 1)
        elif step == "pump":
            relay.pump()
        elif step == "ack":
            broker.ack_all(relay)
        elif step == "confirm":
            rows.confirm(up_to_seq=max(broker.sent, default=0))
            relay.confirmed()
        elif step == "restart":
            broker.mids.clear()
            relay.restart()
        else:
            clock.t += 0.5
        assert relay.inflight <= 3
    broker.mids.clear()
    relay.restart()
    while relay.pump():
        broker.ack_all(relay)
    broker.ack_all(relay)
    relay.pump()
    pending = {e.seq for e in rows.after(0, limit=1_000)}
    assert pending <= set(broker.sent)
