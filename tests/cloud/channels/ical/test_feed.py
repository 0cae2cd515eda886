"""Reading channels' iCal feeds: all-day DTEND exclusive, X-WR-TIMEZONE, malformed lines named."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.channels.ical.feed import FeedError, read


def feed(*events: str, header: str = "") -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{e}END:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{header}{body}END:VCALENDAR\r\n".encode()


def test_an_all_day_dtend_is_the_departure() -> None:
    holds = read(
        feed(
            "UID:a@airbnb\r\nDTSTART;VALUE=DATE:20270310\r\nDTEND;VALUE=DATE:20270313\r\nSUMMARY:Reserved\r\n"
        ),
        default_zone="Europe/Madrid",
    )
    hold = holds["a@airbnb"]
    assert (hold.arrival, hold.departure, hold.summary) == (date(2027, 3, 10), date(2027, 3, 13), "Reserved")


def test_an_all_day_start_alone_is_one_night() -> None:
    holds = read(feed("UID:b\r\nDTSTART;VALUE=DATE:20270310\r\n"), default_zone="Europe/Madrid")
    assert (holds["b"].arrival, holds["b"].departure) == (date(2027, 3, 10), date(2027, 3, 11))


def test_floating_times_are_read_in_the_feed_s_x_wr_timezone() -> None:
    event = "UID:c\r\nDTSTART:20270310T230000\r\nDTEND:20270312T100000\r\n"
    in_tokyo = read(feed(event, header="X-WR-TIMEZONE:Asia/Tokyo\r\n"), default_zone="Europe/Madrid")["c"]
    assert (in_tokyo.arrival, in_tokyo.departure) == (date(2027, 3, 10), date(2027, 3, 12))
    utc_event = "UID:d\r\nDTSTART:20270310T230000Z\r\nDTEND:20270312T100000Z\r\n"
    shifted = read(feed(utc_event, header="X-WR-TIMEZONE:Asia/Tokyo\r\n"), default_zone="Europe/Madrid")["d"]
    assert shifted.arrival == date(2027, 3, 11)  # 08:00 on the 11th in Tokyo


def test_cancelled_events_are_left_out() -> None:
    holds = read(feed("UID:e\r\nSTATUS:CANCELLED\r\nDTSTART;VALUE=DATE:20270310\r\n"), default_zone="UTC")
    assert holds == {}


def test_a_malformed_line_refuses_the_feed_naming_the_line() -> None:
    with pytest.raises(FeedError, match="line 6 "):
        read(feed("UID:f\r\nthis is not a content line\r\n"), default_zone="UTC")


def test_a_bad_date_refuses_the_feed_naming_its_line() -> None:
    with pytest.raises(FeedError, match=r"line 6: .*DTSTART"):
        read(feed("UID:g\r\nDTSTART;VALUE=DATE:2027031x\r\n"), default_zone="UTC")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (feed("DTSTART;VALUE=DATE:20270310\r\n"), "without UID"),
        (feed("UID:h\r\n"), "no DTSTART"),
        (feed("UID:i\r\nDTSTART;VALUE=DATE:20270310\r\nDTEND;VALUE=DATE:20270301\r\n"), "ends before"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nEND:VCALENDAR\r\n", "not an iCalendar"),
        (b"\xff\xfe", "not UTF-8"),
        (
            feed("UID:j\r\nDTSTART;VALUE=DATE:20270310\r\n", header="X-WR-TIMEZONE:Mars/Olympus\r\n"),
            "time zone",
        ),
    ],
)
def test_broken_feeds_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(FeedError, match=reason):
        read(data, default_zone="UTC")


def test_folded_lines_are_unfolded() -> None:
    holds = read(
        feed("UID:very-long-\r\n uid@example\r\nDTSTART;VALUE=DATE:20270310\r\n"), default_zone="UTC"
    )
    assert "very-long-uid@example" in holds


@settings(max_examples=40)
@given(st.binary(max_size=300))
def test_any_bytes_either_read_or_refused_cleanly(data: bytes) -> None:
    with contextlib.suppress(FeedError):  # anything else (a crash) fails the test
        read(data, default_zone="UTC")


AIRBNB = (  # the shape Airbnb exports: LF line ends, a byte-order mark, a reservation and a block
    "\ufeffBEGIN:VCALENDAR\nPRODID:-//Airbnb Inc//Hosting Calendar 1.0//EN\nCALSCALE:GREGORIAN\nVERSION:2.0\n"
    "BEGIN:VEVENT\nDTEND;VALUE=DATE:20270315\nDTSTART;VALUE=DATE:20270312\n"
    "UID:1418fb94e984-8f3e3a3f9e2b1c5d8a7@airbnb.com\nDESCRIPTION:Reservation URL: https://www.airbnb.com/\n"
    " hosting/reservations/details/HMXXXXXX\\nPhone Number (Last 4 Digits): 1234\n"
    "SUMMARY:Reserved\nEND:VEVENT\n"
    "BEGIN:VEVENT\nDTEND;VALUE=DATE:20270320\nDTSTART;VALUE=DATE:20270318\n"
    "UID:7f1c0e52b1a3-d41d8cd98f00b204@airbnb.com\nSUMMARY:Airbnb (Not available)\nEND:VEVENT\n"
    "END:VCALENDAR\n"
)


def test_airbnb_s_feed_shape_is_read_reservations_and_blocks_alike() -> None:
    holds = read(AIRBNB.encode(), default_zone="Europe/Madrid")
    assert sorted((h.arrival, h.departure, h.summary) for h in holds.values()) == [
        (date(2027, 3, 12), date(2027, 3, 15), "Reserved"),
        (date(2027, 3, 18), date(2027, 3, 20), "Airbnb (Not available)"),
    ]


def test_booking_style_blocks_sharing_one_uid_are_each_held_and_free_time_is_not() -> None:
    closed = "SUMMARY:CLOSED - Not available\r\n"
    events = (
        f"UID:block@booking\r\nDTSTART;VALUE=DATE:20270310\r\nDTEND;VALUE=DATE:20270312\r\n{closed}",
        f"UID:block@booking\r\nDTSTART;VALUE=DATE:20270401\r\nDTEND;VALUE=DATE:20270403\r\n{closed}",
        "UID:free@x\r\nDTSTART;VALUE=DATE:20270501\r\nDTEND;VALUE=DATE:20270502\r\nTRANSP:TRANSPARENT\r\n",
    )
    holds = read(feed(*events), default_zone="Europe/Madrid")
    assert {uid: (h.arrival, h.departure) for uid, h in holds.items()} == {
        "block@booking": (date(2027, 3, 10), date(2027, 3, 12)),
        "block@booking#2": (date(2027, 4, 1), date(2027, 4, 3)),
    }
    again = read(feed(*events), default_zone="Europe/Madrid")
    assert again.keys() == holds.keys()  # the same feed imported again keys its holds the same way
