"""The conflict rules for a node's offline operations, one rule per test, in their order."""

from __future__ import annotations

import pytest

from cloud.node.conflicts import Action, Rule, judge
from mqtt.node_messages import PaymentTaken
from tests.cloud.node.fake_cloud import AT, FakeCloud, check_in

pytestmark = pytest.mark.unit
NONE: frozenset[str] = frozenset()


def test_booked_check_in_into_its_own_room_is_applied() -> None:
    cloud = FakeCloud()
    cloud.book("r1", "101")
    assert judge(check_in("r1", "101"), view=cloud, held=NONE, walk_ins=NONE).action is Action.APPLY


def test_walk_in_into_a_room_sold_online_meanwhile_is_held_with_a_room_to_move_to() -> None:
    cloud = FakeCloud()
    cloud.book("online-1", "101")
    verdict = judge(check_in("w1", "101", walk_in=True), view=cloud, held=NONE, walk_ins=NONE)
    assert verdict.action is Action.HOLD
    (finding,) = verdict.findings
    assert finding.rule is Rule.ROOM_SOLD_TWICE and finding.others == ("online-1",)
    assert finding.suggestion == "move online-1 to 102"


def test_room_sold_twice_without_a_free_room_asks_to_relocate() -> None:
    cloud = FakeCloud(rooms={"101": "double"})
    cloud.book("online-1", "101")
    verdict = judge(check_in("w1", "101", walk_in=True), view=cloud, held=NONE, walk_ins=NONE)
    assert verdict.findings[0].suggestion == "relocate online-1"


def test_check_in_of_a_reservation_cancelled_online_is_held_not_reinstated() -> None:
    cloud = FakeCloud()
    cloud.book("r1", "101", status="cancelled")
    verdict = judge(check_in("r1", "101"), view=cloud, held=NONE, walk_ins=NONE)
    assert verdict.action is Action.HOLD and verdict.findings[0].rule is Rule.CANCELLED_ONLINE


def test_check_in_of_an_unknown_reservation_is_held() -> None:
    verdict = judge(check_in("r9", "101"), view=FakeCloud(), held=NONE, walk_ins=NONE)
    assert verdict.findings[0].rule is Rule.UNKNOWN_RESERVATION


def test_price_changed_in_the_cloud_keeps_the_desk_price_and_says_so() -> None:
    cloud = FakeCloud(prices={"double": 9900})
    verdict = judge(check_in("w1", "105", walk_in=True, rate=9000), view=cloud, held=NONE, walk_ins=NONE)
    assert verdict.action is Action.APPLY
    assert verdict.findings[0].rule is Rule.PRICE_CHANGED
    assert "9000" in verdict.findings[0].detail and "9900" in verdict.findings[0].detail


def test_operations_after_a_held_one_wait_with_it() -> None:
    payment = PaymentTaken(
        at=AT, reservation_id="w1", payment_id="p1", method="cash", amount_minor=100, currency="EUR"
    )
    verdict = judge(payment, view=FakeCloud(), held=frozenset({"w1"}), walk_ins=NONE)
    assert verdict.action is Action.HOLD and verdict.findings[0].rule is Rule.HELD


def test_operations_on_a_walk_in_the_node_created_are_applied() -> None:
    payment = PaymentTaken(
        at=AT, reservation_id="w1", payment_id="p1", method="cash", amount_minor=100, currency="EUR"
    )
    assert judge(payment, view=FakeCloud(), held=NONE, walk_ins=frozenset({"w1"})).action is Action.APPLY
