"""The node's desk and the cloud compute the same money from the same data: a folio's balance
after check-in (its nights posted, taxed), charges and payments, and a walk-in's price by date
and weekday under the plan's restrictions. Both sides are computed here — the node's from the
replica the cloud sends, the cloud's by replaying the same operations into its own tables — and
compared."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.folio import Payer
from cloud.billing.service import balances
from cloud.billing.settings import BillingSettings
from cloud.billing.stay_ledger import folio_of
from cloud.catalog.errors import InvalidRequest
from cloud.catalog.models import Property, RatePlan, Room, RoomType
from cloud.core.db import make_sessionmaker
from cloud.node.replay import NodeEvent, replay
from cloud.node.replica import snapshot
from cloud.node.sql_desk import SqlDesk
from cloud.node.sql_view import SqlCloudView
from cloud.node.store import SqlLedger
from cloud.reservations.models import Reservation, ReservationNight, RoomAllocation
from cloud.reservations.sales.booking import Booking, book, make_stay, price
from cloud.setup.demo import DEMO_FILE
from cloud.setup.parsing import parse
from cloud.setup.service import apply
from mqtt.envelope import new_id
from mqtt.node_messages import OPERATIONS, ChargePosted, CheckIn, NodeOperation, NodeReplica, PaymentTaken
from node.desk_prices import NoPrice, walk_in_quote
from node.desk_view import desk_view

NOW = datetime(2027, 3, 4, 9, tzinfo=UTC)  # a Thursday: the stays cross the weekend's prices
D0 = date(2027, 3, 4)
BILLING = BillingSettings()


def _document() -> bytes:
    """The demo property with taxes on top of its prices (rooms 10 %, drinks 21 %) and
    restrictions: closed to arrival on the 11th, at least 3 nights arriving on the 18th."""
    doc: dict[str, Any] = yaml.safe_load(DEMO_FILE.read_text())
    doc["property"]["prices_include_tax"] = False
    doc["tax_categories"] = [
        {"code": "rooms", "name": "Rooms", "charge_kinds": ["room_night"]},
        {"code": "drinks", "name": "Drinks", "charge_kinds": ["minibar"]},
        {"code": "food", "name": "Food", "charge_kinds": ["restaurant"]},
        {"code": "services", "name": "Services", "charge_kinds": ["transport", "laundry"]},
    ]
    doc["taxes"] = [
        {"code": "VAT10", "name": "VAT 10", "percent": "10", "categories": ["rooms"]},
        {"code": "VAT21", "name": "VAT 21", "percent": "21", "categories": ["drinks"]},
        {"code": "CITY", "name": "City tax", "percent": "2.5", "categories": ["rooms"]},
    ]
    doc["restrictions"] = [
        {"from": "2027-03-11", "until": "2027-03-12", "closed_to_arrival": True},
        {"from": "2027-03-18", "until": "2027-03-19", "plan": "flex", "min_stay": 3},
    ]
    return yaml.safe_dump(doc, allow_unicode=True).encode()


@pytest.fixture
def sessions(sqlite_only: Engine) -> sessionmaker[Session]:
    maker: sessionmaker[Session] = make_sessionmaker(sqlite_only)
    with maker.begin() as s:
        apply(s, parse(_document()), "system:test")
    return maker


def _book(s: Session, *, nights: int, plan: str = "flex") -> tuple[str, str]:
    res = book(
        s,
        Booking(
            property="hotel",
            room_type="std",
            rate_plan=plan,
            arrival=D0,
            departure=D0 + timedelta(days=nights),
            guest_name="Ana Pérez",
        ),
        now=NOW,
    )
    s.flush()
    alloc = s.scalars(select(RoomAllocation).where(RoomAllocation.reservation_id == res.id)).one()
    room = s.get(Room, alloc.room_id)
    assert room is not None
    return res.id, room.slug


def _free_room(s: Session, taken: set[str]) -> str:
    return next(r.slug for r in s.scalars(select(Room).order_by(Room.number)) if r.slug not in taken)


def _replay(sessions: sessionmaker[Session], ops: list[NodeOperation]) -> None:
    type_of = {model: name for name, model in OPERATIONS.items()}
    events = [NodeEvent(id=new_id(), seq=i, type=type_of[type(op)], op=op) for i, op in enumerate(ops, 1)]
    with sessions.begin() as s:
        replay(
            events,
            node="desk-pc",
            view=SqlCloudView(s, site="hotel"),
            desk=SqlDesk(s, site="hotel", settings=BILLING),
            ledger=SqlLedger(s, site="hotel", now=NOW),
        )


def _cloud_balance(sessions: sessionmaker[Session], reservation: str) -> int:
    with sessions() as s:
        folio = folio_of(s, reservation)
        assert folio is not None
        return balances(s, folio)[Payer.GUEST].minor


def _check_in(replica: NodeReplica, reservation: str, room: str) -> CheckIn:
    """As the node's desk makes it from the replica's stay."""
    stay = next(s for s in replica.stays if s.reservation_id == reservation)
    return CheckIn(
        at=NOW,
        reservation_id=reservation,
        room=room,
        room_type=stay.room_type,
        arrival=stay.arrival,
        departure=stay.departure,
        rate_minor=stay.rate_minor or 0,
        currency=stay.currency,
    )


def test_a_folios_balance_on_the_node_is_the_clouds(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        b1, b1_room = _book(s, nights=3)  # Thursday 9000, Friday and Saturday 11000
        b2, b2_room = _book(s, nights=2, plan="nonref")
        walk_room = _free_room(s, {b1_room, b2_room})
        replica = snapshot(s, site="hotel", node="desk-pc", now=NOW, billing=BILLING)
    walk_nights = [
        n
        for _night, n in walk_in_quote(
            replica.pricing,
            room_type="std",
            rate_plan="flex",
            arrival=D0,
            departure=D0 + timedelta(days=2),
            currency="EUR",
        ).nights
    ]
    w1 = new_id()
    ops: list[NodeOperation] = [
        _check_in(replica, b1, b1_room),
        ChargePosted(
            at=NOW,
            reservation_id=b1,
            charge_id=new_id(),
            kind="minibar",
            description="water",
            amount_minor=350,
            currency="EUR",
            quantity=3,
        ),
        PaymentTaken(
            at=NOW, reservation_id=b1, payment_id=new_id(), method="cash", amount_minor=5000, currency="EUR"
        ),
        _check_in(replica, b2, b2_room),
        CheckIn(
            at=NOW,
            reservation_id=w1,
            walk_in=True,
            room=walk_room,
            room_type="std",
            arrival=D0,
            departure=D0 + timedelta(days=2),
            rate_minor=walk_nights[0],
            currency="EUR",
            rate_plan="flex",
            nights_minor=walk_nights,
        ),
        ChargePosted(
            at=NOW,
            reservation_id=w1,
            charge_id=new_id(),
            kind="laundry",
            description="shirts",
            amount_minor=1200,
            currency="EUR",
        ),
    ]
    view = desk_view(replica, ops, today=D0)
    node = {r: view.stay(r).balance_minor for r in (b1, b2, w1)}  # type: ignore[union-attr]

    _replay(sessions, ops)
    cloud = {r: _cloud_balance(sessions, r) for r in (b1, b2, w1)}

    assert node == cloud
    # and not by both being wrong alike: the nights with 12.5 % on top, the drinks with 21 %
    assert node[b1] == (10125 + 12375 + 12375) + 1271 - 5000  # 1050 + 220.5 of VAT, rounded away
    assert walk_nights == [9000, 11000]
    assert node[w1] == 10125 + 12375 + 1200  # laundry's category has no tax here
    with sessions() as s:
        nights = s.scalars(
            select(ReservationNight.amount_minor)
            .where(ReservationNight.reservation_id == w1)
            .order_by(ReservationNight.night)
        )
        assert list(nights) == walk_nights  # the cloud booked the walk-in at the desk's quote


@pytest.mark.parametrize(
    ("room_type", "plan", "arrival", "nights"),
    [
        ("std", "flex", D0, 1),  # a Thursday
        ("std", "flex", D0, 4),  # across the weekend's price
        ("std", "nonref", D0 + timedelta(days=1), 3),
        ("std", "flex", date(2027, 6, 14), 3),  # into the summer season (its minimum stay is 2)
        ("std", "flex", date(2027, 6, 15), 1),  # the season's minimum stay refuses it
        ("std", "flex", date(2027, 3, 11), 2),  # closed to arrival
        ("std", "flex", date(2027, 3, 18), 2),  # the restriction's minimum stay on the plan
        ("std", "nonref", date(2027, 3, 18), 2),  # ... which is not this plan's
        ("sup", "flex", D0, 2),
        ("ste", "nonref", D0, 2),
    ],
)
def test_a_walk_ins_price_on_the_node_is_the_clouds(
    sessions: sessionmaker[Session], room_type: str, plan: str, arrival: date, nights: int
) -> None:
    departure = arrival + timedelta(days=nights)
    with sessions() as s:
        replica = snapshot(s, site="hotel", node="desk-pc", now=NOW, billing=BILLING)
        prop = s.scalars(select(Property).where(Property.slug == "hotel")).one()
        type_ = s.scalars(
            select(RoomType).where(RoomType.property_id == prop.id, RoomType.code == room_type)
        ).one()
        rate_plan = s.scalars(
            select(RatePlan).where(RatePlan.property_id == prop.id, RatePlan.code == plan)
        ).one()
        try:
            cloud: list[int] | str = [
                n
                for _d, n in price(
                    s, prop=prop, type_=type_, plan=rate_plan, stay=make_stay(arrival, departure)
                ).nights
            ]
        except InvalidRequest:
            cloud = "refused"
    try:
        node: list[int] | str = [
            n
            for _d, n in walk_in_quote(
                replica.pricing,
                room_type=room_type,
                rate_plan=plan,
                arrival=arrival,
                departure=departure,
                currency="EUR",
            ).nights
        ]
    except NoPrice:
        node = "refused"
    assert node == cloud


def test_the_cloud_sells_every_case_above_or_refuses_it_so_the_comparison_means_something(
    sessions: sessionmaker[Session],
) -> None:
    """Guard for the table above: some cases are priced, some refused, prices vary by night."""
    with sessions() as s:
        replica = snapshot(s, site="hotel", node="desk-pc", now=NOW, billing=BILLING)
    quoted = walk_in_quote(
        replica.pricing,
        room_type="std",
        rate_plan="flex",
        arrival=D0,
        departure=D0 + timedelta(days=4),
        currency="EUR",
    )
    assert len({n for _d, n in quoted.nights}) == 2
    with pytest.raises(NoPrice, match="closed to arrival"):
        walk_in_quote(
            replica.pricing,
            room_type="std",
            rate_plan="flex",
            arrival=date(2027, 3, 11),
            departure=date(2027, 3, 13),
            currency="EUR",
        )
    assert [t.code for t in replica.pricing.taxes] == ["CITY", "VAT10", "VAT21"]
    assert not replica.pricing.prices_include_tax
    with sessions() as s:
        assert s.scalar(select(Reservation.id)) is None  # quoting booked nothing


def test_a_walk_in_at_the_desks_own_price_is_booked_at_it(sessions: sessionmaker[Session]) -> None:
    """Below the cloud's price (and below its first night's deposit): the desk's price stands."""
    with sessions() as s:
        room = _free_room(s, set())
    w1 = new_id()
    check_in = CheckIn(
        at=NOW,
        reservation_id=w1,
        walk_in=True,
        room=room,
        room_type="std",
        arrival=D0,
        departure=D0 + timedelta(days=2),
        rate_minor=5000,
        currency="EUR",
    )
    _replay(sessions, [check_in])
    with sessions() as s:
        res = s.get(Reservation, w1)
        assert res is not None and res.status == "checked_in"
        assert (res.total_minor, res.deposit_required_minor) == (10000, 5000)  # flex: the first night
    assert _cloud_balance(sessions, w1) == 2 * 5625  # 12.5 % on top of each night
