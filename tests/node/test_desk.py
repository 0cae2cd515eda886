"""The node's desk refuses at once what its replica and its own unsent work say is wrong."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mqtt.node_messages import (
    CheckedOut,
    CheckIn,
    NodeOperation,
    NodeReplica,
    ReplicaRoom,
    ReplicaStay,
    RoomMove,
)
from node.desk import DeskError, check_in_allowed

pytestmark = pytest.mark.unit
AT = datetime(2026, 12, 3, 15, tzinfo=UTC)
D0, D2 = date(2026, 12, 3), date(2026, 12, 5)
REPLICA = NodeReplica(
    as_of=AT,
    first_night=D0,
    days=7,
    rooms=[ReplicaRoom(room=r, room_type="std") for r in ("101", "102", "103")],
    stays=[
        ReplicaStay(
            reservation_id="b1",
            status="booked",
            room_type="std",
            room="101",
            arrival=D0,
            departure=D2,
            currency="EUR",
        ),
        ReplicaStay(
            reservation_id="b2",
            status="checked_in",
            room_type="std",
            room="102",
            arrival=D0,
            departure=D2,
            currency="EUR",
        ),
    ],
)


def _in(res: str, room: str, *, walk_in: bool = False) -> CheckIn:
    return CheckIn(
        at=AT,
        reservation_id=res,
        walk_in=walk_in,
        room=room,
        room_type="std",
        arrival=D0,
        departure=D2,
        rate_minor=1,
        currency="EUR",
    )


def _reason(op: CheckIn, pending: list[NodeOperation] | None = None) -> str | None:
    try:
        check_in_allowed(op, replica=REPLICA, pending=pending or [])
    except DeskError as exc:
        return exc.reason
    return None


def test_booked_guest_checks_into_their_room_or_a_free_one() -> None:
    assert _reason(_in("b1", "101")) is None
    assert _reason(_in("b1", "103")) is None


@pytest.mark.parametrize(
    ("op", "pending", "reason"),
    [
        (_in("b1", "109"), [], "unknown_room"),
        (_in("b9", "103"), [], "unknown_reservation"),
        (_in("b2", "102"), [], "not_booked"),
        (_in("b1", "101"), [_in("b1", "101")], "not_booked"),
        (_in("w1", "101", walk_in=True), [], "room_taken"),
        (_in("w2", "103", walk_in=True), [_in("w1", "103", walk_in=True)], "room_taken"),
    ],
)
def test_what_is_known_wrong_is_refused(op: CheckIn, pending: list[NodeOperation], reason: str) -> None:
    assert _reason(op, pending) == reason


def test_a_room_freed_here_can_be_given_again() -> None:
    out = CheckedOut(
        at=AT, reservation_id="b2", invoice_id="i1", series="INV-N-X", number=1, total_minor=0, currency="EUR"
    )
    assert _reason(_in("w1", "102", walk_in=True), [out]) is None
    move = RoomMove(at=AT, reservation_id="b1", from_room="101", to_room="103", from_night=D0)
    assert _reason(_in("w1", "101", walk_in=True), [move]) is None
    assert _reason(_in("w1", "103", walk_in=True), [move]) == "room_taken"
