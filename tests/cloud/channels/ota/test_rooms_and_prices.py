"""A channel's reservation of several rooms, held whole or refused whole (OpenTravel error 322),
modified and cancelled room by room; and a channel's stay charged on the folio at the channel's
price, taxes as the message states them, our own price and the difference kept beside it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.models import Charge
from cloud.billing.property_terms import tax_policy
from cloud.billing.settings import BillingSettings, RateConfig, TaxConfig
from cloud.billing.stay_ledger import FolioLedger, folio_of
from cloud.billing.tax import TaxPolicy, TaxRate
from cloud.catalog import service as catalog
from cloud.catalog.models import Property, RatePlan, RoomType
from cloud.channels import bookings, views
from cloud.channels.errors import ChannelInvalid
from cloud.channels.models import Channel, ChannelProblem, ChannelReservation
from cloud.channels.ota import inbound, standin
from cloud.channels.ota.res_messages import ChannelBooking
from cloud.core.nights import Stay
from cloud.reservations.models import Reservation, ReservationNight
from cloud.reservations.sales import booking
from tests.cloud.channels.conftest import HOTEL_CODE, NOW

A, B, C, D = date(2027, 3, 10), date(2027, 3, 11), date(2027, 3, 12), date(2027, 3, 13)
VAT = BillingSettings(billing_taxes={"*": TaxConfig(rates=[RateConfig(code="VAT", percent="10")])})


def room(code: str, arrival: date, departure: date, **fields: Any) -> standin.Room:
    return standin.Room(code, "BAR", arrival, departure, **{"after_tax": "200.00", **fields})


def send(
    sessions: sessionmaker[Session],
    secret: str,
    *rooms: standin.Room,
    confirmation: str = "MULTI",
    ledger: FolioLedger | None = None,
    **fields: Any,
) -> etree._Element:
    body = standin.reservation(hotel_code=HOTEL_CODE, confirmation=confirmation, rooms=rooms, **fields)
    status, answer = inbound.receive(
        sessions,
        secret=secret,
        body=body,
        clock=lambda: NOW,
        ledger=ledger,
        taxes=lambda session, prop: tax_policy(session, VAT, prop.slug),
    )
    assert status == 200, answer
    return etree.fromstring(answer)


def errors(answer: etree._Element) -> list[tuple[str, str | None]]:
    return [(e.text or "", e.get("Code")) for e in answer.iter("{*}Error")]


def ours(answer: etree._Element) -> list[str]:
    return [
        i.get("ResID_Value", "") for i in answer.iter("{*}HotelReservationID") if i.get("ResID_Type") == "14"
    ]


def sold(sessions: sessionmaker[Session], type_code: str) -> dict[date, int]:
    with sessions() as session:
        rows = session.execute(
            text(
                "SELECT night, sold FROM type_inventory JOIN room_types ON room_types.id = room_type_id "
                "WHERE room_types.code = :c AND sold > 0 ORDER BY night"
            ),
            {"c": type_code},
        ).all()
        return {date.fromisoformat(str(n)): int(s) for n, s in rows}


def rows(sessions: sessionmaker[Session]) -> list[tuple[str, int, str, date, date]]:
    with sessions() as session:
        found = session.scalars(
            select(ChannelReservation).order_by(
                ChannelReservation.confirmation, ChannelReservation.room_index
            )
        )
        return [(r.confirmation, r.room_index, r.status, r.arrival, r.departure) for r in found]


def sell_out(sessions: sessionmaker[Session], type_code: str, night: date) -> None:
    with sessions.begin() as session:
        session.execute(
            text(
                "UPDATE type_inventory SET sold = capacity WHERE night = :n AND room_type_id = "
                "(SELECT id FROM room_types WHERE code = :c)"
            ),
            {"n": night, "c": type_code},
        )


# -- several rooms ------------------------------------------------------------------------------


def test_a_reservation_of_two_rooms_holds_both_and_answers_our_id_for_each(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    answer = send(sessions, channel[1], room("STD", A, C), room("SUP", A, C))
    assert not errors(answer) and len(set(ours(answer))) == 2
    assert rows(sessions) == [("MULTI", 1, "booked", A, C), ("MULTI", 2, "booked", A, C)]
    assert sold(sessions, "std") == {A: 1, B: 1} and sold(sessions, "sup") == {A: 1, B: 1}
    again = send(sessions, channel[1], room("STD", A, C), room("SUP", A, C))  # our answer was lost
    assert not errors(again) and ours(again) == ours(answer)
    assert sold(sessions, "std") == {A: 1, B: 1}


def test_one_room_over_a_sold_out_night_refuses_the_whole_reservation_with_error_322(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    send(sessions, channel[1], room("STD", A, D), confirmation="FIRST")  # the nights' rows exist
    sell_out(sessions, "std", C)  # the second room overlaps the sold-out night on one night only
    before = sold(sessions, "sup"), sold(sessions, "std")
    answer = send(sessions, channel[1], room("SUP", A, C), room("STD", B, D))
    assert ours(answer) == []
    [(reason, code)] = errors(answer)
    assert code == "322" and "room 2" in reason and "none is" in reason
    assert (sold(sessions, "sup"), sold(sessions, "std")) == before  # the free room was not held either
    assert [r[0] for r in rows(sessions)] == ["FIRST"]
    with sessions() as session:
        assert "not every room" in session.scalars(select(ChannelProblem.reason)).one()
        assert session.scalar(select(func.count()).select_from(Reservation)) == 1


def test_a_single_room_over_a_sold_out_night_is_still_kept_as_an_overbooking(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    send(sessions, channel[1], room("STD", A, D), confirmation="FIRST")
    sell_out(sessions, "std", C)
    answer = send(sessions, channel[1], room("STD", B, D))
    assert not errors(answer)
    assert ("MULTI", 1, "overbooked", B, D) in rows(sessions)


def test_rooms_are_modified_and_cancelled_one_by_one(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    send(sessions, channel[1], room("STD", A, C, index=1), room("SUP", A, C, index=2))
    answer = send(
        sessions,
        channel[1],
        room("STD", A, D, index=1),
        room("SUP", A, C, index=2, cancelled=True),
        status="Modify",
        modify=True,
    )
    assert not errors(answer)
    assert rows(sessions) == [("MULTI", 1, "booked", A, D), ("MULTI", 2, "cancelled", A, C)]
    assert sold(sessions, "std") == {A: 1, B: 1, C: 1} and sold(sessions, "sup") == {}
    answer = send(  # a modify states the reservation whole: room 3 is added
        sessions,
        channel[1],
        room("STD", A, D, index=1),
        room("SUP", B, C, index=3),
        status="Modify",
        modify=True,
    )
    assert not errors(answer)
    assert [r[1:3] for r in rows(sessions)] == [(1, "booked"), (2, "cancelled"), (3, "booked")]
    answer = send(  # ... and a room it no longer lists is cancelled
        sessions, channel[1], room("SUP", B, C, index=3), status="Modify", modify=True
    )
    assert not errors(answer)
    assert [r[1:3] for r in rows(sessions)] == [(1, "cancelled"), (2, "cancelled"), (3, "booked")]
    assert sold(sessions, "std") == {} and sold(sessions, "sup") == {B: 1}
    send(sessions, channel[1], status="Cancel")
    assert {r[2] for r in rows(sessions)} == {"cancelled"} and sold(sessions, "sup") == {}


def test_a_modify_that_moves_one_room_onto_a_sold_out_night_changes_no_room(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    send(sessions, channel[1], room("STD", A, B, index=1), room("SUP", A, B, index=2))
    send(sessions, channel[1], room("STD", A, D), confirmation="OTHER")
    sell_out(sessions, "std", C)
    answer = send(
        sessions,
        channel[1],
        room("STD", A, D, index=1),  # onto the sold-out night
        room("SUP", A, C, index=2),  # free, but not without the other
        status="Modify",
        modify=True,
    )
    [(_reason, code)] = errors(answer)
    assert code == "322"
    assert rows(sessions)[:2] == [("MULTI", 1, "booked", A, B), ("MULTI", 2, "booked", A, B)]
    assert sold(sessions, "sup") == {A: 1}


def test_a_cancellation_of_a_room_never_received_is_refused_and_changes_nothing(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    send(sessions, channel[1], room("STD", A, C, index=1), room("SUP", A, C, index=2))
    answer = send(
        sessions,
        channel[1],
        room("STD", A, C, index=1),
        room("SUP", A, C, index=2),
        room("SUP", A, C, index=7, cancelled=True),
        status="Modify",
        modify=True,
    )
    assert any("room 7" in reason and "never received" in reason for reason, _ in errors(answer))
    assert [r[2] for r in rows(sessions)] == ["booked", "booked"]


def test_two_room_stays_with_one_index_are_refused(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    body = standin.reservation(
        hotel_code=HOTEL_CODE,
        confirmation="DUP",
        rooms=(room("STD", A, C, index=1), room("SUP", A, C, index=1)),
    )
    status, answer = inbound.receive(sessions, secret=channel[1], body=body, clock=lambda: NOW, ledger=None)
    assert status == 400 and b"same IndexNumber" in answer
    assert rows(sessions) == []


def test_unknown_codes_carry_their_opentravel_error_codes(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    assert errors(send(sessions, channel[1], standin.Room("NOPE", "BAR", A, C)))[0][1] == "402"
    assert errors(send(sessions, channel[1], standin.Room("STD", "NOPE", A, C)))[0][1] == "249"
    body = standin.reservation(hotel_code="ELSEWHERE", confirmation="X", rooms=(room("STD", A, C),))
    _status, answer = inbound.receive(sessions, secret=channel[1], body=body, clock=lambda: NOW, ledger=None)
    assert errors(etree.fromstring(answer))[0][1] == "392"


# -- the channel's prices -------------------------------------------------------------------------


def our_price(session: Session, type_code: str, arrival: date, departure: date) -> int:
    prop = catalog.get_property(session, "hotel")
    type_ = session.scalars(select(RoomType).where(RoomType.code == type_code)).one()
    plan = session.scalars(select(RatePlan).where(RatePlan.code == "flex")).one()
    return booking.price(
        session, prop=prop, type_=type_, plan=plan, stay=Stay(arrival, departure)
    ).total_minor


def test_the_folio_charges_the_channel_s_nightly_prices_with_the_taxes_it_states(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    """The property prices before tax (VAT 10 %): the channel's 181.82 before tax (200.00 with
    its 18.18 of taxes) is split over the nights as the channel's nightly rates are (90 : 110)."""
    with sessions.begin() as session:
        session.get(Channel, channel[0]).commission_bp = 1500  # type: ignore[union-attr]
    ledger = FolioLedger(VAT)
    answer = send(
        sessions,
        channel[1],
        room("STD", A, C, before_tax="181.82", taxes="18.18", nightly=((A, "90.00"), (B, "110.00"))),
        ledger=ledger,
    )
    assert not errors(answer)
    [reservation_id] = ours(answer)
    with sessions.begin() as session:
        res = session.get(Reservation, reservation_id)
        assert res is not None and res.total_minor == 18182
        nights = dict(
            session.execute(
                select(ReservationNight.night, ReservationNight.amount_minor).where(
                    ReservationNight.reservation_id == reservation_id
                )
            ).all()
        )
        assert nights == {A: 8182, B: 10000}
        ledger.checked_in(session, res, now=NOW)  # the room nights go on the folio
        folio = folio_of(session, reservation_id)
        assert folio is not None
        lines = session.scalars(
            select(Charge).where(Charge.folio_id == folio.id, Charge.kind == "room_night")
        )
        charged = sorted((c.night, c.net_minor, c.tax_minor, c.gross_minor) for c in lines)
        assert charged == [(A, 8182, 818, 9000), (B, 10000, 1000, 11000)]  # 200.00 as the channel sold it
        ours_minor = our_price(session, "std", A, C)
        row = session.scalars(select(ChannelReservation)).one()
        assert row.ours_minor == ours_minor != 18182
        [shown] = views.reservations(session, session.get(Property, res.property_id))  # type: ignore[arg-type]
        assert (shown.folio_minor, shown.ours_minor, shown.difference_minor) == (
            18182,
            ours_minor,
            18182 - ours_minor,
        )
        assert shown.commission_minor == 3000 and shown.tax_note is None  # 15 % of 200.00, as reports count


def test_a_modify_keeps_charging_the_channel_s_price(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    [reservation_id] = ours(send(sessions, channel[1], room("STD", A, C, after_tax="220.00")))
    send(sessions, channel[1], room("STD", A, D, after_tax="330.00"), status="Modify", modify=True)
    with sessions() as session:
        res = session.get(Reservation, reservation_id)
        assert res is not None and res.departure == D
        assert res.total_minor == 30000  # 330.00 with VAT, 300.00 before it, as the property prices
        amounts = session.scalars(
            select(ReservationNight.amount_minor).where(ReservationNight.reservation_id == reservation_id)
        ).all()
        assert sorted(amounts) == [10000, 10000, 10000]


def test_taxes_stated_unlike_the_property_s_are_shown_beside_the_price(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    send(sessions, channel[1], room("STD", A, C, before_tax="180.00", after_tax="216.00"))  # 20 %, ours 10
    with sessions() as session:
        [shown] = views.reservations(session, catalog.get_property(session, "hotel"))
        assert shown.folio_minor == 18000
        assert shown.tax_note is not None and "36.00" in shown.tax_note and "18.00" in shown.tax_note


def fact(**amounts: str) -> ChannelBooking:
    values = {k: Decimal(v) for k, v in amounts.items()}
    return ChannelBooking(action="book", confirmation="P", hotel_code="H", arrival=A, departure=C, **values)  # type: ignore[arg-type]


TEN = (TaxRate("VAT", 100_000),)


@pytest.mark.parametrize(
    ("amounts", "inclusive", "expected"),
    [
        ({"before_tax": "100.00", "after_tax": "110.00"}, False, (10000, 1000, 1000)),
        ({"before_tax": "100.00", "after_tax": "110.00"}, True, (11000, 1000, 1000)),
        ({"after_tax": "110.00", "taxes": "10.00"}, False, (10000, 1000, 1000)),
        ({"before_tax": "100.00", "taxes": "10.00"}, True, (11000, 1000, 1000)),
        ({"after_tax": "110.00"}, False, (10000, None, 1000)),  # no taxes stated: the property's rates
        ({"before_tax": "100.00"}, True, (11000, None, 1000)),
        ({"after_tax": "110.00"}, True, (11000, None, 1000)),
    ],
)
def test_the_folio_amount_follows_the_property_s_convention(
    amounts: dict[str, str], inclusive: bool, expected: tuple[int, int | None, int]
) -> None:
    assert (
        bookings.folio_amount(fact(**amounts), "EUR", TaxPolicy(inclusive=inclusive, rates=TEN)) == expected
    )


@pytest.mark.parametrize(
    "amounts",
    [
        {"before_tax": "120.00", "after_tax": "110.00"},  # after below before
        {"before_tax": "100.00", "after_tax": "110.00", "taxes": "5.00"},  # they disagree
        {"after_tax": "10.00", "taxes": "15.00"},  # taxes above the amount
        {"after_tax": "10.001"},  # finer than the currency
    ],
)
def test_amounts_that_do_not_add_up_are_refused(amounts: dict[str, str]) -> None:
    with pytest.raises(ChannelInvalid):
        bookings.folio_amount(fact(**amounts), "EUR", TaxPolicy(inclusive=False, rates=TEN))


def test_the_nights_split_as_the_channel_s_nightly_rates_or_evenly() -> None:
    nights = [A, A + timedelta(days=1), A + timedelta(days=2)]
    even = bookings.split_nights(1000, "EUR", nights, [])
    assert sum(even) == 1000 and max(even) - min(even) == 1
    assert bookings.split_nights(
        600, "EUR", nights, [[A.isoformat(), 100], [nights[1].isoformat(), 200], [nights[2].isoformat(), 300]]
    ) == [100, 200, 300]
    assert sum(bookings.split_nights(1001, "EUR", nights, [[A.isoformat(), 5]])) == 1001  # not every night
