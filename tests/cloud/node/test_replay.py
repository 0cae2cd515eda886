"""Replaying a node's outbox into the cloud: in order, exactly once, conflicts held for staff
and nothing after them applied out of order; any redelivery pattern gives the same cloud."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.node.conflicts import Action, Rule
from cloud.node.memory import MemoryLedger
from cloud.node.replay import NodeEvent, replay
from mqtt.node_messages import OPERATIONS, CheckedOut, NodeOperation, PaymentTaken
from tests.cloud.node.fake_cloud import AT, FakeCloud, check_in

pytestmark = pytest.mark.unit
NODE = "desk-pc"


def _events(ops: list[NodeOperation]) -> list[NodeEvent]:
    type_of = {model: name for name, model in OPERATIONS.items()}
    return [NodeEvent(id=f"e{i}", seq=i, type=type_of[type(op)], op=op) for i, op in enumerate(ops, start=1)]


def _pay(res: str, amount: int = 5000) -> PaymentTaken:
    return PaymentTaken(
        at=AT,
        reservation_id=res,
        payment_id=f"p-{res}-{amount}",
        method="cash",
        amount_minor=amount,
        currency="EUR",
    )


def _out(res: str, number: int) -> CheckedOut:
    return CheckedOut(
        at=AT,
        reservation_id=res,
        invoice_id=f"i{number}",
        series="INV-N-DESK-PC",
        number=number,
        total_minor=18000,
        currency="EUR",
    )


def _outage() -> tuple[FakeCloud, list[NodeEvent]]:
    cloud = FakeCloud()
    cloud.book("b1", "101")
    cloud.book("b2", "102", status="cancelled")  # cancelled by a channel meanwhile
    cloud.book("online-1", "103")  # sold online meanwhile
    ops: list[NodeOperation] = [
        check_in("b1", "101"),
        _pay("b1"),
        check_in("b2", "102"),
        _pay("b2"),
        check_in("w1", "103", walk_in=True),
        _pay("w1"),
        check_in("w2", "104", walk_in=True),
        _pay("w2"),
        _out("w2", 1),
        _out("b1", 2),
    ]
    return cloud, _events(ops)


def test_outage_replays_safe_work_and_holds_the_conflicts_with_what_follows() -> None:
    cloud, events = _outage()
    ledger = MemoryLedger()
    report = replay(events, node=NODE, view=cloud, desk=cloud, ledger=ledger)
    assert (report.applied, report.held) == (6, 4)
    rules = [f.rule for f in report.findings]
    assert rules == [Rule.CANCELLED_ONLINE, Rule.HELD, Rule.ROOM_SOLD_TWICE, Rule.HELD]
    assert cloud.sold[("103", AT.date())] == "online-1"  # nothing overwritten
    assert cloud.invoices == {("INV-N-DESK-PC", 1): "i1", ("INV-N-DESK-PC", 2): "i2"}
    assert ledger.held(NODE) == {"b2", "w1"}


def test_second_replay_of_the_same_events_changes_nothing() -> None:
    cloud, events = _outage()
    ledger = MemoryLedger()
    replay(events, node=NODE, view=cloud, desk=cloud, ledger=ledger)
    before = (dict(cloud.sold), dict(cloud.folio), dict(cloud.invoices), len(ledger.entries))
    again = replay(events, node=NODE, view=cloud, desk=cloud, ledger=ledger)
    assert again.duplicates == len(events) and again.applied == again.held == 0
    assert (cloud.sold, cloud.folio, cloud.invoices, len(ledger.entries)) == before


def test_a_gap_stops_the_replay_until_the_missing_event_arrives() -> None:
    cloud, events = _outage()
    ledger = MemoryLedger()
    report = replay(events[:3] + events[4:], node=NODE, view=cloud, desk=cloud, ledger=ledger)
    assert report.waiting_for == 4 and ledger.last_seq(NODE) == 3
    replay(events, node=NODE, view=cloud, desk=cloud, ledger=ledger)
    assert ledger.last_seq(NODE) == len(events)


def test_an_operation_the_desk_refuses_is_held_not_lost() -> None:
    cloud, events = _outage()
    cloud.invoices[("INV-N-DESK-PC", 1)] = "cloud"  # the desk refuses a duplicate number
    ledger = MemoryLedger()
    replay(events, node=NODE, view=cloud, desk=cloud, ledger=ledger)
    held = [r for r in ledger.entries if r.verdict.action is Action.HOLD]
    assert any("refused" in r.verdict.findings[0].detail for r in held)
    assert ledger.last_seq(NODE) == len(events)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=9), min_size=1, max_size=40))
def test_any_redelivery_pattern_applies_each_event_once_in_order(picks: list[int]) -> None:
    reference, events = _outage()
    replay(events, node=NODE, view=reference, desk=reference, ledger=MemoryLedger())
    cloud, events = _outage()
    ledger = MemoryLedger()
    for pick in picks:  # batches of whatever the broker redelivers, then everything
        replay(events[pick : pick + 3], node=NODE, view=cloud, desk=cloud, ledger=ledger)
    replay(events, node=NODE, view=cloud, desk=cloud, ledger=ledger)
    assert cloud.applied == reference.applied
    assert [r.event.seq for r in ledger.entries] == list(range(1, len(events) + 1))
