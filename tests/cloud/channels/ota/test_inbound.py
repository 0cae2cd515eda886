"""Reservations from an OTA: stored through the desk's booking path, acknowledged after the commit;
bad input refused whole with its reason kept; a sold-out night kept as an overbooking."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from cloud.channels.models import ChannelProblem, ChannelReservation
from cloud.channels.ota import inbound, standin
from cloud.reservations.models import Reservation
from tests.cloud.channels.conftest import HOTEL_CODE, NOW

ARRIVAL, DEPARTURE = date(2027, 3, 10), date(2027, 3, 12)


def send(sessions: sessionmaker[Session], secret: str, **fields: Any) -> tuple[int, etree._Element | bytes]:
    spec: dict[str, Any] = {
        "hotel_code": HOTEL_CODE,
        "confirmation": "BK1",
        "room_code": "STD",
        "rate_code": "BAR",
        "arrival": ARRIVAL,
        "departure": DEPARTURE,
        "total": "180.00",
        **fields,
    }
    body = fields.pop("body", None) or standin.reservation(**{k: v for k, v in spec.items() if k != "body"})
    status, answer = inbound.receive(sessions, secret=secret, body=body, clock=lambda: NOW, ledger=None)
    return status, (etree.fromstring(answer) if status == 200 else answer)


def errors(answer: Any) -> list[str]:
    return [e.text or "" for e in answer.iter("{*}Error")]


def count(sessions: sessionmaker[Session], model: Any) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_booking_is_stored_through_the_booking_path_and_acknowledged_with_our_id(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    status, answer = send(sessions, channel[1])
    assert status == 200 and not errors(answer)
    ours = {i.get("ResID_Type"): i.get("ResID_Value") for i in answer.iter("{*}HotelReservationID")}  # type: ignore[union-attr]
    with sessions() as session:
        res = session.get(Reservation, ours["14"])
        assert res is not None and (res.arrival, res.departure, res.status) == (ARRIVAL, DEPARTURE, "booked")
        sold = session.execute(
            text("SELECT sum(sold) FROM type_inventory WHERE room_type_id = :t"), {"t": res.room_type_id}
        ).scalar()
        assert sold == 2  # two nights held like the desk's booking


def test_a_resent_booking_is_acknowledged_again_without_a_second_sale(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    send(sessions, channel[1])
    status, answer = send(sessions, channel[1])
    assert status == 200 and not errors(answer)
    assert count(sessions, Reservation) == 1


def test_modify_moves_the_stay_and_cancel_releases_it(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    send(sessions, channel[1])
    _, answer = send(sessions, channel[1], status="Modify", modify=True, departure=date(2027, 3, 14))
    assert not errors(answer)
    with sessions() as session:
        res = session.scalars(select(Reservation)).one()
        assert res.departure == date(2027, 3, 14)
    _, answer = send(sessions, channel[1], status="Cancel")
    assert not errors(answer)
    with sessions() as session:
        assert session.scalars(select(Reservation)).one().status == "cancelled"
        assert session.scalars(select(ChannelReservation)).one().status == "cancelled"
        sold = session.execute(text("SELECT coalesce(sum(sold), 0) FROM type_inventory")).scalar()
        assert sold == 0


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"room_code": "NOPE"}, "unknown room type or rate code"),
        ({"rate_code": "NOPE"}, "unknown room type or rate code"),
        ({"total": "-5.00"}, "negative amount"),
        ({"arrival": date(2027, 2, 1), "departure": date(2027, 2, 3)}, "in the past"),
        ({"hotel_code": "SOMEONE-ELSE"}, "hotel code"),
        ({"currency": "USD"}, "currency"),
        ({"status": "Modify", "modify": True, "confirmation": "NEVER"}, "never received"),
        ({"status": "Cancel", "confirmation": "NEVER"}, "never received"),
    ],
)
def test_bad_reservations_are_refused_with_a_reason_and_nothing_stored(
    sessions: sessionmaker[Session], channel: tuple[int, str], fields: dict[str, Any], reason: str
) -> None:
    status, answer = send(sessions, channel[1], **fields)
    assert status == 200 and any(reason in e for e in errors(answer)), errors(answer)
    assert count(sessions, Reservation) == 0 and count(sessions, ChannelReservation) == 0
    with sessions() as session:
        assert reason in session.scalars(select(ChannelProblem.reason)).one()


def test_a_duplicate_confirmation_with_other_details_is_refused(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    send(sessions, channel[1])
    _, answer = send(sessions, channel[1], surname="Someone")
    assert any("already received" in e for e in errors(answer))
    assert count(sessions, Reservation) == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<not-xml", b"invalid XML"),
        (
            b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b'<OTA_HotelResNotifRQ xmlns="http://www.opentravel.org/OTA/2003/05">&b;</OTA_HotelResNotifRQ>',
            b"document type declaration",
        ),
    ],
)
def test_invalid_or_hostile_xml_is_refused_and_noted(
    sessions: sessionmaker[Session], channel: tuple[int, str], body: bytes, reason: bytes
) -> None:
    status, answer = send(sessions, channel[1], body=body)
    assert status == 400 and reason in answer  # type: ignore[operator]
    assert count(sessions, ChannelProblem) == 1


def test_an_unknown_secret_is_refused(sessions: sessionmaker[Session], channel: tuple[int, str]) -> None:
    assert send(sessions, "not-a-secret")[0] == 401


def test_a_document_with_one_bad_reservation_stores_none_of_it(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    good = standin.reservation(
        hotel_code=HOTEL_CODE,
        confirmation="G1",
        room_code="STD",
        rate_code="BAR",
        arrival=ARRIVAL,
        departure=DEPARTURE,
        total="1.00",
    )
    root = etree.fromstring(good)
    bad = etree.fromstring(
        standin.reservation(
            hotel_code=HOTEL_CODE,
            confirmation="B1",
            room_code="NOPE",
            rate_code="BAR",
            arrival=ARRIVAL,
            departure=DEPARTURE,
        )
    )
    next(root.iter("{*}HotelReservations")).append(next(bad.iter("{*}HotelReservation")))
    _, answer = send(sessions, channel[1], body=etree.tostring(root))
    assert errors(answer) and count(sessions, Reservation) == 0


def test_a_booking_for_a_sold_out_night_is_kept_as_an_overbooking(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    send(sessions, channel[1], confirmation="FIRST")  # the nights' inventory rows exist from here
    with sessions() as session:
        session.execute(text("UPDATE type_inventory SET sold = capacity"))
        session.commit()
    status, answer = send(sessions, channel[1], confirmation="OVER")
    assert status == 200 and not errors(answer)  # stored (as an overbooking), so acknowledged
    with sessions() as session:
        row = session.scalars(
            select(ChannelReservation).where(ChannelReservation.confirmation == "OVER")
        ).one()
        assert row.status == "overbooked" and row.reservation_id is None
        assert "no room" in row.detail["conflict"]
        oversold = session.execute(text("SELECT count(*) FROM type_inventory WHERE sold > capacity")).scalar()
        assert oversold == 0
    _, answer = send(sessions, channel[1], confirmation="OVER", status="Cancel")
    with sessions() as session:
        row = session.scalars(
            select(ChannelReservation).where(ChannelReservation.confirmation == "OVER")
        ).one()
        assert row.status == "overbooking_cancelled"


def test_a_refusal_at_one_channel_leaves_another_channel_s_booking_alone(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    from tests.cloud.channels.conftest import add_ota

    _other_id, other = add_ota(sessions, code="expedia")
    _, refused = send(sessions, channel[1], room_code="NOPE")
    _, stored = send(sessions, other, confirmation="X1")
    assert errors(refused) and not errors(stored)
    with sessions() as session:
        row = session.scalars(select(ChannelReservation)).one()
        assert (row.channel_id, row.status) == (_other_id, "booked")


GOLDEN = Path(__file__).with_name("golden") / "res_notif_book.xml"


def test_the_golden_booking_is_stored_with_its_guest(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    status, answer = send(sessions, channel[1], body=GOLDEN.read_bytes())
    assert status == 200 and not errors(answer)
    with sessions() as session:
        res = session.scalars(select(Reservation)).one()
        assert (res.guest_name, res.adults, res.arrival, res.departure) == (
            "Lucía Fernández Ruiz",
            2,
            date(2027, 3, 12),
            date(2027, 3, 15),
        )
        assert res.guest_phone == "+34 600 123 456" and res.guest_email == "lucia.f@guest.example"
        row = session.scalars(select(ChannelReservation)).one()
        assert (row.confirmation, row.total_minor) == ("4411-99812", 33000)


def test_channel_bookings_find_their_guest_s_profile_by_email(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    from cloud.guests.context import build_guests
    from cloud.guests.models import Guest
    from cloud.guests.settings import GuestSettings
    from cloud.loyalty.guest_link import RegistryMatcher

    matcher = RegistryMatcher(build_guests(GuestSettings()).vault)
    for number in ("4411-99812", "4411-99813"):  # the same guest (email and phone) books twice
        body = GOLDEN.read_bytes().replace(b"4411-99812", number.encode())
        status, _answer = inbound.receive(
            sessions, secret=channel[1], body=body, clock=lambda: NOW, ledger=None, matcher=matcher
        )
        assert status == 200
    with sessions() as session:
        guests = [res.guest_id for res in session.scalars(select(Reservation))]
        assert len(guests) == 2 and len(set(guests)) == 1 and None not in guests
        assert session.scalar(select(func.count()).select_from(Guest)) == 1


FULL = Path(__file__).with_name("golden") / "res_notif_full.xml"
FULL_CANCEL = Path(__file__).with_name("golden") / "res_notif_full_cancel.xml"


def test_a_whole_channel_manager_document_is_stored_with_its_nightly_rates_and_requests(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    """Guarantees, penalties, services, addresses and extensions are set aside; what we read is
    read, and the guest's comments and requests reach the desk."""
    status, answer = send(sessions, channel[1], body=FULL.read_bytes())
    assert status == 200 and not errors(answer)
    with sessions() as session:
        res = session.scalars(select(Reservation)).one()
        assert (res.guest_name, res.adults, res.children) == ("Ana García Soto", 2, 1)
        assert "Baby cot" in res.notes and "23:00" in res.notes and "Genius guest" in res.notes
        row = session.scalars(select(ChannelReservation)).one()
        assert (row.confirmation, row.total_minor) == ("BKG-3390021", 43000)
        assert row.detail["nightly"] == [["2027-03-12", 13000], ["2027-03-13", 15000], ["2027-03-14", 15000]]
        assert "1111" not in str(row.detail)  # the card guarantee is never kept
    status, answer = send(sessions, channel[1], body=FULL_CANCEL.read_bytes())
    assert status == 200 and not errors(answer)
    with sessions() as session:
        assert session.scalars(select(Reservation)).one().status == "cancelled"


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (
            b'EffectiveDate="2027-03-13" ExpireDate="2027-03-15"',
            b'EffectiveDate="2027-03-13" ExpireDate="2027-03-16"',
            "a nightly rate for 2027-03-15, outside the stay",
        ),
        (
            b'EffectiveDate="2027-03-13" ExpireDate="2027-03-15"',
            b'EffectiveDate="2027-03-12" ExpireDate="2027-03-15"',
            "two rates for the night of 2027-03-12",
        ),
        (
            b'<Base AmountBeforeTax="136.36" AmountAfterTax="150.00" CurrencyCode="EUR"/>',
            b'<Base AmountAfterTax="150.00" CurrencyCode="USD"/>',
            "a nightly rate in USD",
        ),
    ],
)
def test_nightly_rates_outside_the_stay_twice_or_in_another_currency_are_refused(
    sessions: sessionmaker[Session], channel: tuple[int, str], old: bytes, new: bytes, reason: str
) -> None:
    status, answer = send(sessions, channel[1], body=FULL.read_bytes().replace(old, new))
    assert status == 200 and any(reason in e for e in errors(answer))
    assert count(sessions, Reservation) == 0 and count(sessions, ChannelReservation) == 0


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        (b'AmountAfterTax="150.00" CurrencyCode', b'AmountAfterTax="-150.00" CurrencyCode', 42),  # negative
        (b'<TimeSpan Start="2027-03-12"', b'<TimeSpan Start="12/03/2027"', 51),  # a date we read, malformed
        (
            b'<GuestCount AgeQualifyingCode="10" Count="2"/>',
            b'<GuestCount AgeQualifyingCode="10" Count="two"/>',
            48,
        ),
    ],
)
def test_what_we_read_is_still_checked_strictly_inside_a_whole_document(
    sessions: sessionmaker[Session], channel: tuple[int, str], old: bytes, new: bytes, line: int
) -> None:
    body = FULL.read_bytes()
    assert old in body
    status, answer = send(sessions, channel[1], body=body.replace(old, new))
    assert status == 400 and b"not a valid OTA_HotelResNotifRQ" in answer  # type: ignore[operator]
    assert f"(line {line})".encode() in answer  # type: ignore[operator]  # the sender's own line
    assert count(sessions, Reservation) == 0


def test_a_late_channel_cancellation_costs_the_plan_s_fee_on_what_the_channel_sold(
    sessions: sessionmaker[Session], channel: tuple[int, str]
) -> None:
    """Arriving today at 15:00, cancelled at 10:00: inside the flexible plan's 48 hours, so the
    first night as the channel sold it (118.18 before tax, 130.00 with it; not our 90.00) is the
    fee, in the property's convention (its prices are before tax); an early one is free."""
    today = FULL.read_bytes()
    for old, new in (
        (b"2027-03-12", b"2027-03-01"),
        (b"2027-03-13", b"2027-03-02"),
        (b"2027-03-15", b"2027-03-04"),
    ):
        today = today.replace(old, new)
    assert send(sessions, channel[1], body=today)[0] == 200
    assert send(sessions, channel[1], body=FULL_CANCEL.read_bytes())[0] == 200
    early = FULL.read_bytes().replace(b"BKG-3390021", b"BKG-EARLY")
    assert send(sessions, channel[1], body=early)[0] == 200
    assert (
        send(sessions, channel[1], body=FULL_CANCEL.read_bytes().replace(b"BKG-3390021", b"BKG-EARLY"))[0]
        == 200
    )
    with sessions() as session:
        fees = {r.arrival: r.cancellation_fee_minor for r in session.scalars(select(Reservation))}
        assert fees == {date(2027, 3, 1): 11818, date(2027, 3, 12): 0}
