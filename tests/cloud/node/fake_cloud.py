"""A cloud in memory for the replay tests: reservations, room nights and prices, and a desk
that applies a node's operations to them (the same rules the database keeps)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from cloud.node.conflicts import ReservationFacts
from cloud.node.replay import DeskRefused, NodeEvent
from mqtt.node_messages import ChargePosted, CheckedOut, CheckIn, NodeOperation, PaymentTaken

AT = datetime(2026, 12, 3, 10, tzinfo=UTC)
D0 = date(2026, 12, 3)


def nights(arrival: date, departure: date) -> list[date]:
    return [arrival + timedelta(days=i) for i in range((departure - arrival).days)]


@dataclass
class FakeCloud:
    reservations: dict[str, ReservationFacts] = field(default_factory=dict)
    rooms: dict[str, str] = field(default_factory=lambda: {f"{n}": "double" for n in range(101, 121)})
    sold: dict[tuple[str, date], str] = field(default_factory=dict)  # (room, night) -> reservation
    prices: dict[str, int] = field(default_factory=lambda: {"double": 9000})
    folio: dict[str, int] = field(default_factory=dict)  # reservation -> balance
    invoices: dict[tuple[str, int], str] = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)

    def book(
        self,
        reservation_id: str,
        room: str,
        *,
        arrival: date = D0,
        stay: int = 2,
        status: str = "booked",
        rate: int | None = 9000,
    ) -> None:
        self.reservations[reservation_id] = ReservationFacts(status, self.rooms[room], rate)
        for night in nights(arrival, arrival + timedelta(days=stay)):
            self.sold[(room, night)] = reservation_id

    # CloudView
    def reservation(self, reservation_id: str) -> ReservationFacts | None:
        return self.reservations.get(reservation_id)

    def room_holders(self, room: str, *, arrival: date, departure: date, excluding: str) -> list[str]:
        held = {self.sold.get((room, n)) for n in nights(arrival, departure)}
        return sorted(r for r in held if r is not None and r != excluding)

    def free_rooms(self, room_type: str, *, arrival: date, departure: date) -> list[str]:
        return [
            r
            for r, t in sorted(self.rooms.items())
            if t == room_type and not any((r, n) in self.sold for n in nights(arrival, departure))
        ]

    def price(
        self, room_type: str, *, arrival: date, departure: date, rate_plan: str = ""
    ) -> list[int] | None:
        found = self.prices.get(room_type)
        return None if found is None else [found] * (departure - arrival).days

    # Desk
    def apply(self, event: NodeEvent, *, node: str) -> None:
        op: NodeOperation = event.op
        if isinstance(op, CheckIn):
            self._check_in(op)
        elif isinstance(op, ChargePosted):
            self.folio[op.reservation_id] = self.folio.get(op.reservation_id, 0) + op.amount_minor
        elif isinstance(op, PaymentTaken):
            self.folio[op.reservation_id] = self.folio.get(op.reservation_id, 0) - op.amount_minor
        elif isinstance(op, CheckedOut):
            if (op.series, op.number) in self.invoices:
                raise DeskRefused(f"invoice {op.series}-{op.number} exists")
            self.invoices[(op.series, op.number)] = op.invoice_id
        self.applied.append(event.id)

    def _check_in(self, op: CheckIn) -> None:
        for night in nights(op.arrival, op.departure):
            holder = self.sold.get((op.room, night))
            if holder not in (None, op.reservation_id):
                raise DeskRefused(f"room {op.room} is held on {night} by {holder}")
        for night in nights(op.arrival, op.departure):
            self.sold[(op.room, night)] = op.reservation_id
        self.reservations[op.reservation_id] = ReservationFacts("checked_in", op.room_type, op.rate_minor)


def check_in(
    reservation_id: str, room: str, *, walk_in: bool = False, rate: int = 9000, stay: int = 2
) -> CheckIn:
    return CheckIn(
        at=AT,
        reservation_id=reservation_id,
        walk_in=walk_in,
        room=room,
        room_type="double",
        arrival=D0,
        departure=D0 + timedelta(days=stay),
        rate_minor=rate,
        currency="EUR",
    )
