"""A node's outage replayed into the cloud's real tables: booked and walk-in check-ins land in
their rooms with their folios, payments and charges are posted, check-outs get the node's
invoice numbers (no gap), a walk-in into a room sold online is held; replaying again changes
nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.models import Charge, Invoice, Payment
from cloud.billing.node_series import reserve_node_series, series_gaps
from cloud.billing.settings import BillingSettings
from cloud.catalog.models import Room
from cloud.core.db import make_sessionmaker
from cloud.node.replay import NodeEvent, replay
from cloud.node.sql_desk import SqlDesk
from cloud.node.sql_view import SqlCloudView
from cloud.node.store import SqlLedger, open_conflicts
from cloud.reservations.models import Reservation, RoomAllocation
from cloud.reservations.sales.booking import Booking, book
from cloud.setup.demo import seed_demo
from mqtt.envelope import new_id
from mqtt.node_messages import OPERATIONS, CheckedOut, CheckIn, NodeOperation, PaymentTaken

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
D0, D2 = date(2027, 3, 1), date(2027, 3, 3)


@pytest.fixture
def sessions(sqlite_only: Engine) -> sessionmaker[Session]:
    maker: sessionmaker[Session] = make_sessionmaker(sqlite_only)
    with maker.begin() as s:
        seed_demo(s)
    return maker


def _book(s: Session, name: str) -> tuple[str, str]:
    res = book(
        s,
        Booking(
            property="hotel", room_type="std", rate_plan="flex", arrival=D0, departure=D2, guest_name=name
        ),
        now=NOW,
    )
    s.flush()
    alloc = s.scalars(select(RoomAllocation).where(RoomAllocation.reservation_id == res.id)).one()
    room = s.get(Room, alloc.room_id)
    assert room is not None
    return res.id, room.slug


def _check_in(res: str, room: str, *, walk_in: bool = False) -> CheckIn:
    return CheckIn(
        at=NOW,
        reservation_id=res,
        walk_in=walk_in,
        room=room,
        room_type="std",
        arrival=D0,
        departure=D2,
        rate_minor=10000,
        currency="EUR",
    )


def _pay(res: str, amount: int) -> PaymentTaken:
    return PaymentTaken(
        at=NOW, reservation_id=res, payment_id=new_id(), method="cash", amount_minor=amount, currency="EUR"
    )


def _replay(sessions: sessionmaker[Session], events: list[NodeEvent]) -> None:
    with sessions.begin() as s:
        ledger = SqlLedger(s, site="hotel", now=NOW)
        replay(
            events,
            node="desk-pc",
            view=SqlCloudView(s, site="hotel"),
            desk=SqlDesk(s, site="hotel", settings=BillingSettings()),
            ledger=ledger,
        )


def test_outage_lands_in_the_cloud_once_with_node_invoice_numbers(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        series = reserve_node_series(s, site="hotel", node="desk-pc", base="INV", now=NOW)
        b1, b1_room = _book(s, "Booked Guest")
        online, sold_room = _book(s, "Online Guest")  # sold online during the outage
        free = [
            r.slug
            for r in s.scalars(select(Room).order_by(Room.number))
            if r.slug not in (b1_room, sold_room) and r.slug.startswith("10")
        ][:1]
    w1, w2 = new_id(), new_id()
    ops: list[NodeOperation] = [
        _check_in(b1, b1_room),
        _pay(b1, 5000),
        _check_in(w1, free[0], walk_in=True),
        _pay(w1, 3000),
        _check_in(w2, sold_room, walk_in=True),
        _pay(w2, 1000),
        CheckedOut(
            at=NOW,
            reservation_id=b1,
            invoice_id=new_id(),
            series=series,
            number=1,
            total_minor=0,
            currency="EUR",
        ),
        CheckedOut(
            at=NOW,
            reservation_id=w1,
            invoice_id=new_id(),
            series=series,
            number=2,
            total_minor=0,
            currency="EUR",
        ),
    ]
    type_of = {m: t for t, m in OPERATIONS.items()}
    events = [
        NodeEvent(id=new_id(), seq=i, type=type_of[type(op)], op=op) for i, op in enumerate(ops, start=1)
    ]
    _replay(sessions, events)
    _replay(sessions, events)  # a second reconnect
    with sessions() as s:
        assert s.get(Reservation, b1).status == "checked_out"  # type: ignore[union-attr]
        assert s.get(Reservation, w1).status == "checked_out"  # type: ignore[union-attr]
        assert s.get(Reservation, w2) is None  # held for staff: nothing written
        assert s.get(Reservation, online).status == "booked"  # type: ignore[union-attr]
        numbers = s.scalars(select(Invoice.number).where(Invoice.series == series)).all()
        assert sorted(numbers) == [1, 2] and series_gaps(s, series) == []
        assert s.scalar(select(func.count()).select_from(Payment)) == 2
        assert s.scalar(select(func.count()).select_from(Charge).where(Charge.invoice_id.is_(None))) == 0
        conflicts = open_conflicts(s, site="hotel", node="desk-pc")
        assert [c.rule for c in conflicts.items] == ["room_sold_twice", "held"]
        assert conflicts.replayed_seq == len(events)
