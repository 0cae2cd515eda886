"""The conflict rules read the cloud's real tables: a room sold online through the cloud's own
booking is seen as held, a cancelled booking as cancelled, free rooms and prices as sold."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from cloud.catalog.models import Room
from cloud.core.db import make_sessionmaker
from cloud.node.conflicts import Action, Rule, judge
from cloud.node.sql_view import SqlCloudView
from cloud.reservations.models import Reservation, RoomAllocation
from cloud.reservations.sales.booking import Booking, book
from cloud.reservations.sales.cancellation import cancel
from cloud.setup.demo import seed_demo
from mqtt.node_messages import CheckIn

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
D0, D2 = date(2027, 3, 1), date(2027, 3, 3)


@pytest.fixture
def session(sqlite_only: Engine) -> Iterator[Session]:
    with make_sessionmaker(sqlite_only).begin() as s:
        seed_demo(s)
        yield s


def _sell(session: Session) -> tuple[Reservation, str]:
    res = book(
        session,
        Booking(
            property="hotel",
            room_type="std",
            rate_plan="flex",
            arrival=D0,
            departure=D2,
            guest_name="Online Guest",
        ),
        now=NOW,
    )
    session.flush()
    alloc = session.query(RoomAllocation).filter_by(reservation_id=res.id).one()
    return res, session.get(Room, alloc.room_id).slug  # type: ignore[union-attr]


def _walk_in(room: str, rate: int) -> CheckIn:
    return CheckIn(
        at=NOW,
        reservation_id="w1",
        walk_in=True,
        room=room,
        room_type="std",
        arrival=D0,
        departure=D2,
        rate_minor=rate,
        currency="EUR",
    )


def test_room_sold_online_through_the_cloud_is_a_clash_for_a_walk_in(session: Session) -> None:
    online, room = _sell(session)
    view = SqlCloudView(session, site="hotel")
    assert view.room_holders(room, arrival=D0, departure=D2, excluding="w1") == [online.id]
    assert room not in view.free_rooms("std", arrival=D0, departure=D2)
    verdict = judge(_walk_in(room, 1), view=view, held=frozenset(), walk_ins=frozenset())
    assert verdict.action is Action.HOLD and verdict.findings[0].rule is Rule.ROOM_SOLD_TWICE
    assert verdict.findings[0].suggestion.startswith(f"move {online.id} to ")


def test_booking_cancelled_in_the_cloud_is_seen_cancelled(session: Session) -> None:
    online, room = _sell(session)
    cancel(session, online, now=NOW)
    view = SqlCloudView(session, site="hotel")
    facts = view.reservation(online.id)
    assert facts is not None and facts.status == "cancelled" and facts.room_type == "std"
    assert view.room_holders(room, arrival=D0, departure=D2, excluding="w1") == []


def test_walk_in_price_is_compared_with_the_cloud_price(session: Session) -> None:
    view = SqlCloudView(session, site="hotel")
    cloud_price = view.price("std", arrival=D0, departure=D2)
    assert cloud_price is not None and len(cloud_price) == 2 and min(cloud_price) > 0
    verdict = judge(_walk_in("105", cloud_price[0] + 100), view=view, held=frozenset(), walk_ins=frozenset())
    assert verdict.action is Action.APPLY and verdict.findings[0].rule is Rule.PRICE_CHANGED
    quoted = _walk_in("105", cloud_price[0]).model_copy(
        update={"rate_plan": "flex", "nights_minor": cloud_price}
    )
    assert judge(quoted, view=view, held=frozenset(), walk_ins=frozenset()).findings == ()
    # every night counts, not the first alone
    second = quoted.model_copy(update={"nights_minor": [cloud_price[0], cloud_price[1] + 1]})
    found = judge(second, view=view, held=frozenset(), walk_ins=frozenset()).findings
    assert [f.rule for f in found] == [Rule.PRICE_CHANGED]
    # a stay the cloud does not sell as it is (a night short of the season's minimum): nothing to compare
    assert view.price("std", arrival=date(2027, 6, 15), departure=date(2027, 6, 16)) is None
