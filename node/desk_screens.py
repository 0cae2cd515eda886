"""The cloud's desk screens' view models, made from the node's replica: a stay as the cloud's
``ReservationOut`` (today's arrivals and departures, the check-out page's heading) and its folio
as the cloud's ``FolioView`` (the check-out page's lines, payments and balance), so the node
renders the portal's own templates (``reservations/today.html``, ``billing/checkout.html``).
Pure: the stay, the replica's pricing and the desk's unconfirmed operations are handed in.

The node knows a folio's balance as of the replica, not its lines: that balance is one line
("balance from the cloud"); the lines and payments the desk added since follow it, each taxed as
the cloud's ``post_charge`` taxes it, so the lines add up to the balance ``node/desk_view.py``
computes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cloud.billing.desk import FolioView, Line, Paid
from cloud.billing.folio import ChargeKind, Payer, price_charge
from cloud.core.money import Money, MoneyError
from cloud.reservations.schemas import NightOut, ReservationOut, SegmentOut
from mqtt.node_messages import ChargePosted, CheckIn, NodeOperation, PaymentTaken, ReplicaPricing, ReplicaRoom
from node.desk_prices import tax_policy
from node.desk_view import DeskStay

BROUGHT_FORWARD = "balance"  # the line of what the folio held as of the replica
METHODS = {"cash": "cash", "terminal": "card"}  # the node's payment methods as the cloud names them


@dataclass(frozen=True, slots=True)
class NodeFolio:
    """What the check-out page reads of a folio besides its view."""

    id: str
    currency: str
    status: str = "open"
    company_name: str | None = None


def reservation(stay: DeskStay, *, site: str, guest_name: str, room: ReplicaRoom | None) -> ReservationOut:
    """The stay as the cloud's pages read a reservation (what the node does not know is left at
    its empty value: the pages that show it are the cloud's alone)."""
    nights = [
        NightOut(night=stay.arrival + timedelta(days=i), amount_minor=amount)
        for i, amount in enumerate(stay.nights_minor)
    ]
    rooms = (
        [
            SegmentOut(
                room=stay.room, floor=str(room.floor), start_night=stay.arrival, end_night=stay.departure
            )
        ]
        if stay.room and room is not None
        else []
    )
    return ReservationOut.model_construct(
        id=stay.reservation_id,
        property=site,
        status=stay.status,
        guest_id=None,
        guest_name=guest_name,
        guest_email=None,
        guest_phone=None,
        guest_language="en",
        adults=1,
        children=0,
        room_type=stay.room_type,
        rate_plan="",
        block_id=None,
        arrival=stay.arrival,
        departure=stay.departure,
        currency=stay.currency,
        total_minor=sum(stay.nights_minor),
        deposit_required_minor=0,
        cancellation_fee_minor=0,
        late_checkout_fee_minor=0,
        checkout_due_at=None,  # the property's check-out hour is the cloud's
        nights=nights,
        rooms=rooms,
        checked_in_at=None,
        checked_out_at=None,
    )


def folio(
    stay: DeskStay,
    *,
    replica_balance: int,
    as_of: datetime,
    pricing: ReplicaPricing,
    pending: Iterable[NodeOperation],
) -> FolioView:
    """The stay's folio as the check-out page shows it: the replica's balance, then the nights
    a check-in here posted, the charges and the payments taken here."""
    view = FolioView(
        folio=NodeFolio(id=stay.reservation_id, currency=stay.currency),  # type: ignore[arg-type]
        lines=[],
        payments=[],
        invoices=[],
        balances={Payer.GUEST.value: stay.balance_minor},
    )
    if replica_balance:
        _add(view, _line(BROUGHT_FORWARD, replica_balance, at=as_of), taxes=())
    for op in pending:
        if op.reservation_id != stay.reservation_id:
            continue
        if isinstance(op, CheckIn) and stay.nights_posted:
            for i, amount in enumerate(stay.nights_minor):  # as desk_view posted them
                night = op.arrival + timedelta(days=i)
                _post(
                    view, stay, pricing, kind=ChargeKind.ROOM_NIGHT.value, unit=amount, at=op.at, night=night
                )
        elif isinstance(op, ChargePosted):
            _post(
                view,
                stay,
                pricing,
                kind=op.kind,
                unit=op.amount_minor,
                quantity=op.quantity,
                at=op.at,
                description=op.description,
            )
        elif isinstance(op, PaymentTaken):
            view.payments.append(
                Paid(
                    method=METHODS.get(op.method, op.method),
                    direction="payment",
                    amount_minor=op.amount_minor,
                    status="succeeded",
                    payer=Payer.GUEST.value,
                    at=op.at,
                )
            )
    return view


def _post(
    view: FolioView,
    stay: DeskStay,
    pricing: ReplicaPricing,
    *,
    kind: str,
    unit: int,
    at: datetime,
    quantity: int = 1,
    night: date | None = None,
    description: str = "",
) -> None:
    if unit <= 0:
        return  # a complimentary night is not a line
    try:
        taxed = price_charge(
            kind=ChargeKind(kind),
            unit_price=Money(unit, stay.currency),
            quantity=quantity,
            discount=False,
            policy=tax_policy(pricing),
        )
    except (ValueError, MoneyError):
        return  # a line the cloud refuses on replay adds nothing there either
    routed = kind in stay.company_kinds
    line = Line(
        kind=kind,
        description=description,
        night=night,
        discount=False,
        quantity=quantity,
        unit_minor=unit,
        net_minor=taxed.net.minor,
        tax_minor=taxed.gross.minor - taxed.net.minor,
        gross_minor=taxed.gross.minor,
        payer=Payer.COMPANY.value if routed else Payer.GUEST.value,
        routed=routed,
        invoice=None,
        posted_at=at,
    )
    _add(view, line, taxes=[(code, m.minor) for code, m in taxed.taxes])


def _line(kind: str, amount: int, *, at: datetime) -> Line:
    return Line(
        kind=kind,
        description="",
        night=None,
        discount=False,
        quantity=1,
        unit_minor=amount,
        net_minor=amount,
        tax_minor=0,
        gross_minor=amount,
        payer=Payer.GUEST.value,
        routed=False,
        invoice=None,
        posted_at=at,
    )


def _add(view: FolioView, line: Line, *, taxes: Iterable[tuple[str, int]]) -> None:
    view.lines.append(line)
    payer = Payer.COMPANY.value if line.routed else line.payer
    view.charged[payer] = view.charged.get(payer, 0) + line.gross_minor
    view.net_minor += line.net_minor
    for code, minor in taxes:
        view.taxes[code] = view.taxes.get(code, 0) + minor
