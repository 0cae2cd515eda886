"""What the node's desk pages show: the replica as the cloud last sent it, with the desk's own
work since (the operations not yet confirmed by the cloud) laid over it. Pure: the replica and
the pending operations are handed in.

A stay's balance is what the cloud's folio would say after the same operations: the replica's
folio balance (nothing for a stay without a folio), plus the room nights a check-in here posts
(each night's agreed amount, taxed as the cloud taxes it; none when a long-stay contract or a
company pays them), plus the charges taken here (taxed likewise, unless a company's folio takes
their kind), less the payments. ``node/desk_prices.py`` does the cloud's arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from cloud.billing.folio import ChargeKind
from mqtt.node_messages import (
    CardEncoded,
    ChargePosted,
    CheckedOut,
    CheckIn,
    NodeOperation,
    NodeReplica,
    PaymentTaken,
    ReplicaPricing,
    ReplicaRoom,
    RoomMove,
)
from node.desk_prices import NoPrice, gross_minor, nights_gross

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
    nights_minor: tuple[int, ...] = ()  # each night's agreed amount, as the replica has them
    nights_posted: bool = True  # check-in posts the nights (not under a long-stay contract)
    company_kinds: frozenset[str] = frozenset()  # charge kinds a company's folio takes

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
    pricing = replica.pricing
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
            balance_minor=balances.get(s.reservation_id, 0),
            guest_sealed=s.guest_sealed,
            cards=cards.get(s.reservation_id, 0),
            nights_minor=tuple(s.nights_minor),
            nights_posted=s.nights_posted,
            company_kinds=frozenset(s.company_kinds),
        )
        for s in replica.stays
    }
    for op in pending:
        stay = stays.get(op.reservation_id)
        if isinstance(op, CheckIn):
            stays[op.reservation_id] = _checked_in(op, stay, pricing)
        elif stay is not None:
            stays[op.reservation_id] = replace(_after(op, stay, pricing), pending=True)
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


def _checked_in(op: CheckIn, stay: DeskStay | None, pricing: ReplicaPricing) -> DeskStay:
    """The stay in house, its nights posted as the cloud's check-in posts them: a booked stay's
    agreed nights (the check-in's rate for each when the replica lacks them), a walk-in's as
    the desk quoted them."""
    nights = list(stay.nights_minor) if stay is not None and stay.nights_minor and not op.walk_in else []
    nights = nights or op.night_amounts()
    posted = stay.nights_posted if stay is not None else True
    company = stay.company_kinds if stay is not None else frozenset()
    before = stay.balance_minor if stay is not None else 0
    if posted and ChargeKind.ROOM_NIGHT.value not in company:
        before += _gross(pricing, nights, currency=op.currency)
    return DeskStay(
        reservation_id=op.reservation_id,
        status="checked_in",
        room=op.room,
        room_type=op.room_type,
        arrival=op.arrival,
        departure=op.departure,
        rate_minor=op.rate_minor,
        currency=op.currency,
        balance_minor=before,
        guest_sealed=op.guest_sealed or (stay.guest_sealed if stay else ""),
        walk_in=op.walk_in,
        cards=stay.cards if stay is not None else 0,
        pending=True,
        nights_minor=tuple(nights),
        nights_posted=posted,
        company_kinds=company,
    )


def _after(op: NodeOperation, stay: DeskStay, pricing: ReplicaPricing) -> DeskStay:
    if isinstance(op, RoomMove):
        return replace(stay, room=op.to_room)
    if isinstance(op, ChargePosted):
        if op.kind in stay.company_kinds:
            return stay
        try:
            line = gross_minor(
                pricing, kind=op.kind, unit_minor=op.amount_minor, quantity=op.quantity, currency=op.currency
            )
        except NoPrice:  # a line the cloud will refuse on replay: it adds nothing there either
            line = 0
        return replace(stay, balance_minor=stay.balance_minor + line)
    if isinstance(op, PaymentTaken):
        return replace(stay, balance_minor=stay.balance_minor - op.amount_minor)
    if isinstance(op, CheckedOut):
        return replace(stay, status="checked_out")
    if isinstance(op, CardEncoded):
        return replace(stay, cards=stay.cards + 1)
    return stay


def _gross(pricing: ReplicaPricing, nights: list[int], *, currency: str) -> int:
    try:
        return nights_gross(pricing, nights, currency=currency)
    except NoPrice:
        return sum(nights)


def _order(stay: DeskStay) -> tuple[str, str]:
    return (stay.room.zfill(8), stay.reservation_id)
