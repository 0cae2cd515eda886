"""The node's desk operations as the pages ask for them: each checked against the replica and
the desk's own work (``node/desk_view.py``, ``node/desk.py``), then recorded in the outbox (on
disk before the desk is told it is done). Cards are signed with the node's delegated key."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from cloud.billing.desk import EXTRAS
from cloud.cards.signing import CardRequest, issue
from cloud.node.seal import GuestData
from mqtt.envelope import new_id
from mqtt.keycard import Kind, format_credential_id
from mqtt.node_messages import (
    CardEncoded,
    ChargePosted,
    CheckedOut,
    CheckIn,
    PaymentTaken,
    ReplicaPricing,
    RoomMove,
)
from node.app import PropertyNode
from node.desk import DeskError
from node.desk_prices import NoPrice, default_plan, walk_in_quote
from node.desk_view import DeskStay, DeskView, desk_view
from node.keys import NoDelegation

EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}")
PHONE = re.compile(r"\+?[0-9 ()-]{4,40}")
CHARGE_KINDS = tuple(k.value for k in EXTRAS)  # the extras the cloud's check-out page posts


@dataclass(frozen=True, slots=True)
class EncodedCard:
    data: bytes  # what the encoder writes (what the doors read)
    uid: str | None  # the tag the node's writer put it on; None without a writer


class FrontDesk:
    """One per node; ``today`` is the property's night (the pages pass it)."""

    def __init__(self, node: PropertyNode) -> None:
        self.node = node

    def view(self, *, today: date) -> DeskView | None:
        replica = self.node.status.replica()
        if replica is None:
            return None
        return desk_view(replica, self.node.outbox.pending_operations(), today=today)

    def check_in(self, reservation_id: str, *, room: str, staff: str, today: date) -> DeskStay:
        stay = self._stay(reservation_id, today=today)
        op = CheckIn(
            at=_now(),
            staff=staff,
            reservation_id=stay.reservation_id,
            room=room or stay.room,
            room_type=self._room_type(room or stay.room, today=today),
            arrival=stay.arrival,
            departure=stay.departure,
            rate_minor=stay.rate_minor,
            currency=stay.currency,
        )
        self.node.check_in(op)
        return self._stay(reservation_id, today=today)

    def walk_in(
        self,
        guest: GuestData,
        *,
        room: str,
        nights: int,
        currency: str,
        staff: str,
        today: date,
        rate_plan: str = "",
        rate_minor: int | None = None,
    ) -> str:
        """Check a walk-in in at the replica's price for the stay on ``rate_plan`` (the cloud's
        first plan if not named), as the cloud would quote it; ``rate_minor``: the desk's own
        nightly price instead (the cloud lists it as a price change and lets it stand)."""
        if not guest.name.strip():
            raise DeskError("no_name", "a walk-in needs the guest's name")
        if guest.email and not EMAIL.fullmatch(guest.email):
            raise DeskError("email", f"{guest.email[:80]!r} is not an e-mail address")
        if guest.phone and not PHONE.fullmatch(guest.phone):
            raise DeskError("phone", "a phone number is digits, spaces and + ( ) -")
        if not 1 <= nights <= 60:
            raise DeskError("nights", "a walk-in stays 1 to 60 nights")
        room_type = self._room_type(room, today=today)
        departure = today + timedelta(days=nights)
        plan = rate_plan or default_plan(self._pricing())
        if rate_minor is None:
            amounts = self._walk_in_nights(
                room_type, rate_plan=plan, arrival=today, departure=departure, currency=currency
            )
        elif rate_minor < 0:
            raise DeskError("amount", "a price is not below zero")
        else:
            amounts = [rate_minor] * nights
        reservation_id = new_id()
        op = CheckIn(
            at=_now(),
            staff=staff,
            reservation_id=reservation_id,
            walk_in=True,
            room=room,
            room_type=room_type,
            arrival=today,
            departure=departure,
            rate_minor=amounts[0],
            currency=currency,
            guest_sealed=self.node.walk_in_sealed(reservation_id, guest),
            rate_plan=plan,
            nights_minor=amounts,
        )
        self.node.check_in(op)
        return reservation_id

    def walk_in_price(
        self, room: str, *, nights: int, rate_plan: str = "", currency: str, today: date
    ) -> list[int]:
        """Each night's price of a walk-in into ``room`` from today, from the replica."""
        return self._walk_in_nights(
            self._room_type(room, today=today),
            rate_plan=rate_plan,
            arrival=today,
            departure=today + timedelta(days=nights),
            currency=currency,
        )

    def _walk_in_nights(
        self, room_type: str, *, rate_plan: str, arrival: date, departure: date, currency: str
    ) -> list[int]:
        pricing = self._pricing()
        plan = rate_plan or default_plan(pricing)
        if not plan:
            raise DeskError("no_price", "the replica has no rate plan to sell")
        try:
            quoted = walk_in_quote(
                pricing,
                room_type=room_type,
                rate_plan=plan,
                arrival=arrival,
                departure=departure,
                currency=currency,
            )
        except NoPrice as exc:
            raise DeskError("no_price", str(exc)) from None
        return [amount for _night, amount in quoted.nights]

    def _pricing(self) -> ReplicaPricing:
        replica = self.node.status.replica()
        if replica is None:
            raise DeskError("no_replica", "the node has no bookings from the cloud yet")
        return replica.pricing

    def move(self, reservation_id: str, *, to_room: str, staff: str, today: date) -> None:
        stay = self._in_house(reservation_id, today=today)
        view = self._view(today)
        if to_room == stay.room:
            raise DeskError("same_room", f"the guest is in {to_room} already")
        if to_room not in {r.room for r in view.free_rooms(max(today, stay.arrival), stay.departure)}:
            raise DeskError("room_taken", f"room {to_room} is not free for the rest of the stay")
        self.node.record(
            "node.room_move",
            RoomMove(
                at=_now(),
                staff=staff,
                reservation_id=reservation_id,
                from_room=stay.room,
                to_room=to_room,
                from_night=max(today, stay.arrival),
            ),
        )

    def charge(
        self,
        reservation_id: str,
        *,
        kind: str,
        description: str,
        amount_minor: int,
        quantity: int,
        staff: str,
        today: date,
    ) -> None:
        stay = self._in_house(reservation_id, today=today)
        if kind not in CHARGE_KINDS:
            raise DeskError("charge_kind", f"no charge kind {kind!r}")
        if amount_minor <= 0:
            raise DeskError("amount", "a charge is more than zero (a correction is the cloud's)")
        self.node.record(
            "node.charge",
            ChargePosted(
                at=_now(),
                staff=staff,
                reservation_id=reservation_id,
                charge_id=new_id(),
                kind=kind,
                description=description[:200] or kind,
                amount_minor=amount_minor,
                currency=stay.currency,
                quantity=quantity,
            ),
        )

    def payment(
        self, reservation_id: str, *, method: str, amount_minor: int, staff: str, today: date
    ) -> None:
        stay = self._in_house(reservation_id, today=today)
        if method not in ("cash", "terminal"):
            raise DeskError("method", "cash or terminal")
        self.node.record(
            "node.payment",
            PaymentTaken(
                at=_now(),
                staff=staff,
                reservation_id=reservation_id,
                payment_id=new_id(),
                method="cash" if method == "cash" else "terminal",
                amount_minor=amount_minor,
                currency=stay.currency,
            ),
        )

    def check_out(self, reservation_id: str, *, staff: str, today: date) -> CheckedOut:
        stay = self._in_house(reservation_id, today=today)
        if stay.balance_minor > 0:
            raise DeskError("balance", "the guest still owes the balance: take the payment first")
        return self.node.check_out(
            reservation_id,
            total_minor=sum(stay.nights_minor) or stay.rate_minor * stay.nights,
            currency=stay.currency,
            staff=staff,
        )

    def encode_card(self, reservation_id: str, *, staff: str, today: date) -> EncodedCard:
        """Sign the stay's card with the node's delegated key (what the encoder writes)."""
        stay = self._in_house(reservation_id, today=today)
        room = self._view(today).room(stay.room)
        delegation = self.node.status.delegation()
        if room is None or delegation is None:
            raise NoDelegation("the cloud has not delegated a card key to this node yet")
        now = _now()
        until = datetime.combine(stay.departure, datetime.min.time(), UTC) + timedelta(hours=12)
        sequence = self.node.status.next_card_sequence(room.room, at_least=room.sequence)
        card = issue(
            CardRequest(
                kind=Kind.GUEST,
                credential_id=secrets.randbits(63) or 1,
                site=delegation.site,
                valid_from=now,
                valid_until=until,
                sequence=sequence,
                guest=1,
                floor=room.floor,
                lift_floors=frozenset({room.floor}),
                rooms=(room.number,),
            ),
            keyring=self.node.card_keyring(now=now),
            now=now,
        )
        uid = self._write(card.data)
        self.node.record(
            "node.card",
            CardEncoded(
                at=now,
                staff=staff,
                reservation_id=reservation_id,
                credential_id=format_credential_id(card.card.credential_id),
                key_id=delegation.key_id,
                room=room.room,
                valid_until=card.card.valid_until,
                sequence=sequence,
                guest=1,
                uid=uid,
            ),
        )
        return EncodedCard(card.data, uid)

    def _write(self, card: bytes) -> str | None:
        """The UID of the tag the node's writer put ``card`` on (None without a writer: the desk
        hands the bytes over); DeskError, and nothing recorded, when the tag was not written."""
        if self.node.encoder is None:
            return None
        result = self.node.encoder.write(card)
        if result.uid is None:
            raise DeskError("card_not_written", f"{result.reason}: {result.detail}"[:300])
        return result.uid

    def _view(self, today: date) -> DeskView:
        view = self.view(today=today)
        if view is None:
            raise DeskError("no_replica", "the node has no bookings from the cloud yet")
        return view

    def _stay(self, reservation_id: str, *, today: date) -> DeskStay:
        stay = self._view(today).stay(reservation_id)
        if stay is None:
            raise DeskError("unknown_reservation", f"no stay {reservation_id} at the desk")
        return stay

    def _in_house(self, reservation_id: str, *, today: date) -> DeskStay:
        stay = self._stay(reservation_id, today=today)
        if stay.status != "checked_in":
            raise DeskError("not_in_house", f"{reservation_id} is not checked in")
        return stay

    def _room_type(self, room: str, *, today: date) -> str:
        found = self._view(today).room(room)
        if found is None:
            raise DeskError("unknown_room", f"no room {room}")
        return found.room_type


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
