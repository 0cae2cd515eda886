"""The node's desk rules, checked before an operation is recorded: what the replica and the
node's own unsent work already say. Pure: the replica and the pending operations are handed in.

1. ``unknown_room``: the room is not one of the property's.
2. ``unknown_reservation`` / ``not_booked``: a booked check-in needs a stay the replica holds,
   still booked, not checked in here already.
3. ``room_taken``: another stay holds the room for a night of this one, in the replica or by a
   check-in done here since (and not checked out).
The cloud judges again on replay (cloud/node/conflicts.py): this only stops what is already
known to be wrong at the desk.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from mqtt.node_messages import CheckedOut, CheckIn, NodeOperation, NodeReplica, RoomMove


class DeskError(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def check_in_allowed(op: CheckIn, *, replica: NodeReplica, pending: Iterable[NodeOperation]) -> None:
    """Raise DeskError when the desk must not record ``op``."""
    if op.room not in {r.room for r in replica.rooms}:
        raise DeskError("unknown_room", f"no room {op.room}")
    pending = list(pending)
    if not op.walk_in:
        stay = next((s for s in replica.stays if s.reservation_id == op.reservation_id), None)
        if stay is None:
            raise DeskError("unknown_reservation", f"no stay {op.reservation_id} in the replica")
        if stay.status != "booked" or op.reservation_id in _checked_in(pending):
            raise DeskError("not_booked", f"{op.reservation_id} is already checked in")
    holders = _holders(op.room, op.arrival, op.departure, replica=replica, pending=pending)
    holders.discard(op.reservation_id)
    if holders:
        raise DeskError("room_taken", f"room {op.room} is held by {', '.join(sorted(holders))}")


def _holders(
    room: str, arrival: date, departure: date, *, replica: NodeReplica, pending: list[NodeOperation]
) -> set[str]:
    gone = {op.reservation_id for op in pending if isinstance(op, CheckedOut)}
    moved = {op.reservation_id: op.to_room for op in pending if isinstance(op, RoomMove)}
    held = {
        s.reservation_id
        for s in replica.stays
        if moved.get(s.reservation_id, s.room) == room and s.arrival < departure and s.departure > arrival
    }
    held |= {
        op.reservation_id
        for op in pending
        if isinstance(op, CheckIn)
        and moved.get(op.reservation_id, op.room) == room
        and op.arrival < departure
        and op.departure > arrival
    }
    return held - gone


def _checked_in(pending: list[NodeOperation]) -> set[str]:
    return {op.reservation_id for op in pending if isinstance(op, CheckIn)}
