"""What the node's desk pages show: the replica as the cloud last sent it, with the desk's own
work since (the operations not yet confirmed by the cloud) laid over it. Pure: the replica and
the pending operations are handed in.

A stay's balance is the replica's folio balance (or, for a stay without one, its nights at its
rate), plus the charges and less the payments taken here since; the cloud's folio stays the
reference once the link is back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from mqtt.node_messages import (
    CardEncoded,
    ChargePosted,
    CheckedOut,
    CheckIn,
    NodeOperation,
    NodeReplica,
    PaymentTaken,
    ReplicaRoom,
    RoomMove,
)

Status = Literal["booked", "checked_in", "checked_out"]


@dataclass(frozen=True, slots=True)
class DeskStay:
    reservation_id: str
    status: Status
    room: str
    room_type: str
    arrival: date
    departure: date
    rate_minor: int
    currency: str
    balance_minor: int
    guest_sealed: str = ""
    walk_in: bool = False
    cards: int = 0
    pending: bool = False  # the desk changed it here since the replica

    @property
    def nights(self) -> int:
        return (self.departure - self.arrival).days


@dataclass(frozen=True, slots=True)
class DeskView:
    today: date
    arrivals: list[DeskStay]
    in_house: list[DeskStay]
    rooms: list[ReplicaRoom]
    held: dict[str, list[tuple[date, date]]] = field(default_factory=dict)  # room -> stays' nights

    def stay(self, reservation_id: str) -> DeskStay | None:
        return next((s for s in self.arrivals + self.in_house if s.reservation_id == reservation_id), None)

    def free_rooms(self, arrival: date, departure: date) -> list[ReplicaRoom]:
        """Rooms no stay holds for any of these nights."""
        return [
            r
            for r in self.rooms
            if not any(a < departure and d > arrival for a, d in self.held.get(r.room, []))
        ]

    def room(self, slug: str) -> ReplicaRoom | None:
        return next((r for r in self.rooms if r.room == slug), None)


def desk_view(replica: NodeReplica, pending: Iterable[NodeOperation], *, today: date) -> DeskView:
    balances = {f.reservation_id: f.balance_minor for f in replica.folios}
    cards: dict[str, int] = {}
    for card in replica.cards:
        cards[card.reservation_id] = cards.get(card.reservation_id, 0) + 1
    stays = {
        s.reservation_id: DeskStay(
            reservation_id=s.reservation_id,
            status=s.status,
            room=s.room,
            room_type=s.room_type,
            arrival=s.arrival,
            departure=s.departure,
            rate_minor=s.rate_minor or 0,
            currency=s.currency,
            balance_minor=balances.get(
                s.reservation_id, (s.rate_minor or 0) * (s.departure - s.arrival).days
            ),
            guest_sealed=s.guest_sealed,
            cards=cards.get(s.reservation_id, 0),
        )
        for s in replica.stays
    }
    for op in pending:
        stay = stays.get(op.reservation_id)
        if isinstance(op, CheckIn):
            stays[op.reservation_id] = _checked_in(op, stay)
        elif stay is not None:
            stays[op.reservation_id] = replace(_after(op, stay), pending=True)
    live = [s for s in stays.values() if s.status != "checked_out"]
    held: dict[str, list[tuple[date, date]]] = {}
    for s in live:
        if s.room:
            held.setdefault(s.room, []).append((s.arrival, s.departure))
    return DeskView(
        today=today,
        arrivals=sorted((s for s in live if s.status == "booked" and s.arrival <= today), key=_order),
        in_house=sorted((s for s in live if s.status == "checked_in"), key=_order),
        rooms=list(replica.rooms),
        held=held,
    )


def _checked_in(op: CheckIn, stay: DeskStay | None) -> DeskStay:
    nights = (op.departure - op.arrival).days
    return DeskStay(
        reservation_id=op.reservation_id,
        status="checked_in",
        room=op.room,
        room_type=op.room_type,
        arrival=op.arrival,
        departure=op.departure,
        rate_minor=op.rate_minor,
        currency=op.currency,
        balance_minor=stay.balance_minor if stay is not None else op.rate_minor * nights,
        guest_sealed=op.guest_sealed or (stay.guest_sealed if stay else ""),
        walk_in=op.walk_in,
        cards=stay.cards if stay is not None else 0,
        pending=True,
    )


def _after(op: NodeOperation, stay: DeskStay) -> DeskStay:
    if isinstance(op, RoomMove):
        return replace(stay, room=op.to_room)
    if isinstance(op, ChargePosted):
        return replace(stay, balance_minor=stay.balance_minor + op.amount_minor * op.quantity)
    if isinstance(op, PaymentTaken):
        return replace(stay, balance_minor=stay.balance_minor - op.amount_minor)
    if isinstance(op, CheckedOut):
        return replace(stay, status="checked_out")
    if isinstance(op, CardEncoded):
        return replace(stay, cards=stay.cards + 1)
    return stay


def _order(stay: DeskStay) -> tuple[str, str]:
    return (stay.room.zfill(8), stay.reservation_id)
