"""The replay's ``Desk`` on the cloud's own tables: a node's operation becomes what the cloud's
desk would have written (a stay checked in to its room, folio lines, payments, the invoice
with the node's number), through the same services. The keycard was signed by the node and
opened doors on the floor already: replaying it records it as the stay's credential (with its
sequence), so check-out revokes it and the door log names its stay; nothing is sent to the doors.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing import property_terms as terms
from cloud.billing.folio import ChargeKind, Payer, PaymentStage
from cloud.billing.invoicing import issue_invoice
from cloud.billing.models import Folio, Payment
from cloud.billing.node_series import take_node_number
from cloud.billing.service import ChargeRequest, post_charge
from cloud.billing.settings import BillingSettings
from cloud.billing.stay_ledger import FolioLedger, folio_of
from cloud.catalog import service as catalog
from cloud.catalog.models import RatePlan, Room
from cloud.catalog.pricing import deposit
from cloud.core.errors import DomainError
from cloud.core.money import Money
from cloud.node.replay import DeskRefused, NodeEvent
from cloud.node.replica_feed import ReplicaFeed
from cloud.node.seal import GuestData, SealError, guest_context
from cloud.reservations.models import Reservation, ReservationNight
from cloud.reservations.sales.booking import Booking, book
from cloud.reservations.stays import credentials, rooms
from cloud.reservations.stays import service as stays
from cloud.reservations.stays.rooms import RoomMoved
from mqtt.envelope import new_id
from mqtt.node_messages import (
    CardEncoded,
    ChargePosted,
    CheckedOut,
    CheckIn,
    NodeOperation,
    PaymentTaken,
    RoomMove,
)

log = logging.getLogger(__name__)
WALK_IN_NAME = "Walk-in (guest data sealed at the node)"


class SqlDesk:
    def __init__(
        self,
        session: Session,
        *,
        site: str,
        settings: BillingSettings,
        feed: ReplicaFeed | None = None,
        moved: Sequence[RoomMoved] = (),
    ) -> None:
        self.session, self.site, self.settings = session, site, settings
        self.moved = moved  # what follows a stay to its new room (its facility slots' access)
        self.folios = FolioLedger(settings)
        self.feed = feed  # opens the walk-ins' data the node sealed for the cloud

    def apply(self, event: NodeEvent, *, node: str) -> None:
        op = event.op
        try:
            if isinstance(op, CheckIn):
                self._check_in(op, at=op.at, node=node)
            elif isinstance(op, RoomMove):
                rooms.move(
                    self.session,
                    self._res(op),
                    room=self._room(op.to_room),
                    from_night=op.from_night,
                    hooks=self.moved,
                )
            elif isinstance(op, ChargePosted):
                self._charge(op)
            elif isinstance(op, PaymentTaken):
                self._payment(op)
            elif isinstance(op, CheckedOut):
                self._check_out(op, node=node)
            elif isinstance(op, CardEncoded):
                self._card(op, node=node)
        except DomainError as exc:
            raise DeskRefused(str(exc)) from exc

    def _check_in(self, op: CheckIn, *, at: datetime, node: str) -> None:
        if op.walk_in:
            guest = self._walk_in_guest(op, node=node)
            plans = list(
                self.session.scalars(
                    select(RatePlan.code)
                    .join(Room, Room.property_id == RatePlan.property_id)
                    .where(Room.slug == op.room)
                    .order_by(RatePlan.id)
                )
            )
            plan = op.rate_plan if op.rate_plan in plans else (plans[0] if plans else "")
            res = book(
                self.session,
                Booking(
                    property=self.site,
                    room_type=op.room_type,
                    rate_plan=plan or "",
                    arrival=op.arrival,
                    departure=op.departure,
                    guest_name=guest.name,
                    guest_email=guest.email or None,
                    guest_phone=guest.phone or None,
                    assign=False,
                    reservation_id=op.reservation_id,
                ),
                now=at,
            )
            self.session.flush()
            self._desk_price(res, op)
            self.folios.booked(self.session, res, now=at)
        else:
            res = self._res(op)
        rooms.move(self.session, res, room=self._room(op.room))
        res.status, res.checked_in_at = "checked_in", at
        self.folios.checked_in(self.session, res, now=at)

    def _desk_price(self, res: Reservation, op: CheckIn) -> None:
        """The walk-in's nights at the price the desk quoted and the guest agreed (the conflict
        rules list it when it differs from the cloud's price now)."""
        amounts = op.night_amounts()
        nights = list(
            self.session.scalars(
                select(ReservationNight)
                .where(ReservationNight.reservation_id == res.id)
                .order_by(ReservationNight.night)
            )
        )
        if len(nights) != len(amounts):
            raise DeskRefused(f"walk-in {op.reservation_id}: {len(amounts)} prices for {len(nights)} nights")
        for night, amount in zip(nights, amounts, strict=True):
            night.amount_minor = amount
        plan = self.session.get(RatePlan, res.rate_plan_id)
        res.total_minor = sum(amounts)
        res.deposit_required_minor = deposit(catalog.policy_of(plan), amounts) if plan is not None else 0
        self.session.flush()

    def _walk_in_guest(self, op: CheckIn, *, node: str) -> GuestData:
        """The walk-in's name, e-mail and phone as the desk took them (sealed by the node for the
        cloud); the placeholder only when the node sent none or they cannot be opened."""
        sealer = self.feed.sealer(self.session, site=self.site, node=node) if self.feed else None
        if not op.guest_sealed or sealer is None:
            log.warning("walk-in %s reached the cloud without its guest's data", op.reservation_id)
            return GuestData(name=WALK_IN_NAME)
        try:
            context = guest_context(self.site, node, op.reservation_id)
            return GuestData.from_json(sealer.open(op.guest_sealed, context=context))
        except SealError as exc:
            log.warning("walk-in %s: %s", op.reservation_id, exc)
            return GuestData(name=WALK_IN_NAME)

    def _charge(self, op: ChargePosted) -> None:
        folio = self._folio(op)
        try:
            kind = ChargeKind(op.kind)
        except ValueError:
            raise DeskRefused(f"no charge kind {op.kind!r}") from None
        post_charge(
            self.session,
            folio_id=folio.id,
            request=ChargeRequest(
                kind=kind,
                description=op.description,
                unit_price=Money(op.amount_minor, op.currency),
                quantity=op.quantity,
            ),
            policy=terms.tax_policy(self.session, self.settings, folio.site),
            now=op.at,
        )

    def _payment(self, op: PaymentTaken) -> None:
        folio = self._folio(op)
        if folio.currency != op.currency:
            raise DeskRefused(f"payment in {op.currency} on a folio in {folio.currency}")
        self.session.add(
            Payment(
                id=new_id(),
                folio_id=folio.id,
                payer=Payer.GUEST.value,
                direction="payment",
                method="cash" if op.method == "cash" else "card",
                stage=PaymentStage.STAY.value,
                amount_minor=op.amount_minor,
                currency=op.currency,
                status="succeeded",
                provider="node-terminal" if op.method == "terminal" else None,
                provider_ref=f"node:{op.payment_id}" if op.method == "terminal" else None,
                created_at=op.at,
                settled_at=op.at,
            )
        )
        self.session.flush()

    def _check_out(self, op: CheckedOut, *, node: str) -> None:
        res = self._res(op)
        if not take_node_number(self.session, series=op.series, node=node, number=op.number):
            raise DeskRefused(f"invoice {op.series}-{op.number} was recorded before")
        # as the cloud's desk checks out: the stay's cards revoked (the node's among them), the
        # nights not used back on sale, the room to housekeeping
        stays.check_out(self.session, res, now=op.at, actor=f"node:{node}")
        self.folios.checked_out(self.session, res, now=op.at, invoice=False)
        folio = self._folio(op)
        issue_invoice(
            self.session,
            folio_id=folio.id,
            payer=Payer.GUEST,
            series=op.series,
            now=op.at,
            number=op.number,
            invoice_id=op.invoice_id,
        )

    def _card(self, op: CardEncoded, *, node: str) -> None:
        res = self._res(op)
        room = self._room(op.room)
        actor = f"node:{node}:{op.staff}" if op.staff else f"node:{node}"
        card = credentials.record_node_card(
            self.session,
            res=res,
            room_id=room.id,
            credential_id=op.credential_id,
            sequence=op.sequence,
            guest=op.guest,
            valid_until=op.valid_until,
            encoded_at=op.at,
            actor=actor,
            uid=op.uid,
        )
        if res.status != "checked_in":  # encoded before a check-out replayed earlier: not a key now
            credentials.revoke_one(self.session, card, now=op.at, actor=actor)

    def _res(self, op: NodeOperation) -> Reservation:
        res = self.session.get(Reservation, op.reservation_id)
        if res is None:
            raise DeskRefused(f"no reservation {op.reservation_id}")
        return res

    def _room(self, slug: str) -> Room:
        room = self.session.scalar(select(Room).where(Room.slug == slug))
        if room is None:
            raise DeskRefused(f"no room {slug}")
        return room

    def _folio(self, op: NodeOperation) -> Folio:
        folio = folio_of(self.session, op.reservation_id)
        if folio is None:
            raise DeskRefused(f"reservation {op.reservation_id} has no folio")
        return folio
