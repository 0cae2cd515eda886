"""Conflict rules for a property node's offline operations, judged against the cloud as it is
when they arrive. Pure: the cloud's facts come through ``CloudView``; no I/O.

The rules, checked in this order for each operation (the first that matches decides):

1. ``held``: an earlier operation of the same reservation is waiting for staff; this one waits
   with it, so nothing is applied out of order.
2. ``unknown_reservation``: a booked check-in (or any later operation) names a reservation the
   cloud does not have. Held for staff: create it or attach the stay to another booking.
3. ``cancelled_online``: a booked check-in whose reservation a channel (or the cloud) cancelled
   meanwhile. The guest is in the room, the cancellation is the channel's word: neither wins
   silently. Held for staff: reinstate the booking with the channel, or re-book as a walk-in.
4. ``room_sold_twice``: the room is held, for a night of the stay, by another reservation (a
   sale online meanwhile). The guest at the hotel keeps the room in fact; the online booking
   must move. Held for staff on both sides, with the free rooms of the same type to move to.
5. ``price_changed`` (resolved): a booked check-in's nightly rate differs from the booking's,
   or a walk-in's nights from the cloud's price for the same stay and plan now.
   The guest was quoted and charged the desk's price, so it stands; recorded for staff to see.

Anything else is applied as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Protocol

from mqtt.node_messages import CheckIn, NodeOperation


class Rule(StrEnum):
    HELD = "held"
    UNKNOWN_RESERVATION = "unknown_reservation"
    CANCELLED_ONLINE = "cancelled_online"
    ROOM_SOLD_TWICE = "room_sold_twice"
    PRICE_CHANGED = "price_changed"
    REFUSED = "refused"  # the cloud could not read the event (a dead letter)


class Action(StrEnum):
    APPLY = "apply"  # apply as the node did it
    HOLD = "hold"  # keep it, apply nothing, list it for staff on both sides


@dataclass(frozen=True, slots=True)
class ReservationFacts:
    status: str  # "booked", "checked_in", "checked_out", "cancelled"
    room_type: str
    rate_minor: int | None  # the agreed nightly rate, when the booking has one


class CloudView(Protocol):
    """What the rules read of the cloud, at the moment the operation is replayed."""

    def reservation(self, reservation_id: str) -> ReservationFacts | None: ...

    def room_holders(self, room: str, *, arrival: date, departure: date, excluding: str) -> list[str]:
        """Other reservations holding ``room`` for any night in [arrival, departure)."""
        ...

    def free_rooms(self, room_type: str, *, arrival: date, departure: date) -> list[str]: ...

    def price(
        self, room_type: str, *, arrival: date, departure: date, rate_plan: str = ""
    ) -> list[int] | None:
        """The cloud's price now of each night of a walk-in's stay on the plan (its first when
        not named; None when it does not sell the stay)."""
        ...


@dataclass(frozen=True, slots=True)
class Finding:
    rule: Rule
    detail: str
    suggestion: str = ""
    others: tuple[str, ...] = ()  # the other reservations involved


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    findings: tuple[Finding, ...] = field(default=())

    @property
    def resolved(self) -> bool:
        return self.action is Action.APPLY


def judge(op: NodeOperation, *, view: CloudView, held: frozenset[str], walk_ins: frozenset[str]) -> Verdict:
    """Decide one operation. ``held``: reservations already waiting for staff; ``walk_ins``:
    reservations the node created (their check-in made them; the cloud had none before)."""
    if op.reservation_id in held:
        return _hold(Rule.HELD, f"reservation {op.reservation_id} waits for an earlier conflict")
    if isinstance(op, CheckIn):
        return _judge_check_in(op, view=view)
    if op.reservation_id not in walk_ins and view.reservation(op.reservation_id) is None:
        return _hold(
            Rule.UNKNOWN_RESERVATION,
            f"the cloud has no {op.reservation_id}",
            "create the reservation in the cloud, then resolve",
        )
    return Verdict(Action.APPLY)


def _judge_check_in(op: CheckIn, *, view: CloudView) -> Verdict:
    facts = None if op.walk_in else view.reservation(op.reservation_id)
    if not op.walk_in:
        if facts is None:
            return _hold(
                Rule.UNKNOWN_RESERVATION,
                f"the cloud has no {op.reservation_id}",
                "create the reservation in the cloud, then resolve",
            )
        if facts.status == "cancelled":
            return _hold(
                Rule.CANCELLED_ONLINE,
                f"{op.reservation_id} was cancelled while the guest checked in to {op.room}",
                "reinstate it with the channel, or re-book as a walk-in",
            )
    others = view.room_holders(
        op.room, arrival=op.arrival, departure=op.departure, excluding=op.reservation_id
    )
    if others:
        free = view.free_rooms(op.room_type, arrival=op.arrival, departure=op.departure)
        hint = f"move {', '.join(others)} to {free[0]}" if free else "relocate " + ", ".join(others)
        return Verdict(
            Action.HOLD,
            (
                Finding(
                    Rule.ROOM_SOLD_TWICE,
                    f"room {op.room} was sold online to {', '.join(others)} "
                    f"while {op.reservation_id} checked in",
                    hint,
                    tuple(others),
                ),
            ),
        )
    if facts is not None:
        desk, cloud = [op.rate_minor], None if facts.rate_minor is None else [facts.rate_minor]
    else:  # a walk-in: every night of the stay, as the desk quoted it
        desk = op.night_amounts()
        cloud = view.price(op.room_type, arrival=op.arrival, departure=op.departure, rate_plan=op.rate_plan)
    if cloud is not None and cloud != desk:
        return Verdict(
            Action.APPLY,
            (
                Finding(
                    Rule.PRICE_CHANGED,
                    f"desk charged {_amounts(desk)}, the cloud's price is {_amounts(cloud)} {op.currency}",
                    "the desk's price stands (the guest was charged it)",
                ),
            ),
        )
    return Verdict(Action.APPLY)


def _amounts(nights: list[int]) -> str:
    """One night's amount, or each night's and their sum."""
    if len(nights) == 1:
        return str(nights[0])
    return f"{'+'.join(str(n) for n in nights)}={sum(nights)}"


def _hold(rule: Rule, detail: str, suggestion: str = "") -> Verdict:
    return Verdict(Action.HOLD, (Finding(rule, detail, suggestion),))
