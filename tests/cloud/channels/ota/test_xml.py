"""OTA XML: hostile documents refused, every message we build valid against the schema."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from cloud.channels.ota import ari_messages, res_messages, standin
from cloud.channels.ota.xml import XmlRefused, parse, serialize
from cloud.channels.port import AriItem, AriRange, AriUpdate, NightAri

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<OTA_HotelResNotifRQ xmlns="http://www.opentravel.org/OTA/2003/05">&lol4;</OTA_HotelResNotifRQ>"""
EXTERNAL = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<OTA_HotelResNotifRQ xmlns="http://www.opentravel.org/OTA/2003/05">&e;</OTA_HotelResNotifRQ>"""


def _update(kind: str, price: int | None = 9000) -> AriUpdate:
    value = NightAri(free=2, price_minor=price, closed_to_arrival=True, min_stay=2)
    return AriUpdate(
        kind=kind,
        hotel_code="H1",
        currency="EUR",
        decimals=2,
        after_tax=True,  # type: ignore[arg-type]
        items=(
            AriItem(
                "STD",
                None if kind == "counts" else "BAR",
                (AriRange(date(2027, 3, 1), date(2027, 3, 3), value),),
            ),
        ),
    )


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL])
def test_a_document_with_a_dtd_is_refused_without_expanding_it(document: bytes) -> None:
    with pytest.raises(XmlRefused, match="document type declaration"):
        parse(document, expect=res_messages.ROOTS)


def test_invalid_xml_is_refused_with_lxml_s_reason() -> None:
    with pytest.raises(XmlRefused, match="invalid XML"):
        parse(b"<OTA_HotelResNotifRQ", expect=res_messages.ROOTS)


def test_a_document_against_the_schema_is_refused_with_its_line() -> None:
    doc = standin.reservation(
        hotel_code="H1",
        confirmation="C1",
        room_code="STD",
        rate_code="BAR",
        arrival=date(2027, 3, 1),
        departure=date(2027, 3, 2),
    )
    broken = doc.replace(b'Count="2"', b'Count="two"')
    with pytest.raises(XmlRefused, match=r"line \d+"):
        parse(broken, expect=res_messages.ROOTS)


def test_an_unexpected_root_is_refused() -> None:
    with pytest.raises(XmlRefused, match="expected"):
        parse(serialize(ari_messages.build(_update("counts"), echo="e", now=NOW)), expect=res_messages.ROOTS)


def test_an_oversize_document_is_refused() -> None:
    with pytest.raises(XmlRefused, match="larger"):
        parse(b" " * 1_000_001, expect=res_messages.ROOTS)


@pytest.mark.parametrize("kind", ["availability", "restrictions", "rates", "counts"])
def test_every_ari_request_is_schema_valid_and_the_stand_in_accepts_it(kind: str) -> None:
    body = serialize(ari_messages.build(_update(kind), echo="e1", now=NOW))
    ota = standin.StandInOta(hotel_code="H1")
    status, _headers, answer = ota.answer(body)
    assert status == 200 and ota.accepted and not ota.refused
    assert ari_messages.errors_of(etree.fromstring(answer)) == []


def test_rates_are_an_overlay_with_decimal_amounts() -> None:
    root = ari_messages.build(_update("rates"), echo="e1", now=NOW)
    assert root.get("NotifType") == "Overlay"
    amount = next(root.iter("{*}BaseByGuestAmt"))
    assert amount.get("AmountAfterTax") == "90.00" and amount.get("CurrencyCode") == "EUR"


def test_restrictions_and_availability_are_separate_requests() -> None:
    avail = ari_messages.build(_update("availability"), echo="e", now=NOW)
    rules = ari_messages.build(_update("restrictions"), echo="e", now=NOW)
    assert {s.get("Restriction") for s in avail.iter("{*}RestrictionStatus")} == {"Master"}
    assert {s.get("Restriction") for s in rules.iter("{*}RestrictionStatus")} == {"Arrival", "Departure"}
    assert next(rules.iter("{*}LengthOfStay")).get("Time") == "2"


def test_the_stand_in_refuses_another_hotel_code() -> None:
    ota = standin.StandInOta(hotel_code="OTHER")
    status, _h, answer = ota.answer(serialize(ari_messages.build(_update("counts"), echo="e", now=NOW)))
    assert status == 200 and ari_messages.errors_of(etree.fromstring(answer)) and not ota.accepted


def test_the_stand_in_answers_429_with_retry_after_over_its_rate() -> None:
    ota = standin.StandInOta(hotel_code="H1", per_minute=1)
    body = serialize(ari_messages.build(_update("counts"), echo="e", now=NOW))
    assert ota.answer(body)[0] == 200
    status, headers, _ = ota.answer(body)
    assert status == 429 and int(headers["Retry-After"]) >= 1


def test_a_reservation_reads_into_plain_facts() -> None:
    doc = standin.reservation(
        hotel_code="H1",
        confirmation="C9",
        room_code="STD",
        rate_code="BAR",
        arrival=date(2027, 3, 1),
        departure=date(2027, 3, 4),
        total="270.00",
        adults=2,
    )
    read = res_messages.read(parse(doc, expect=res_messages.ROOTS))
    fact = read.bookings[0]
    assert (fact.action, fact.confirmation, fact.room_code, fact.arrival, fact.departure) == (
        "book",
        "C9",
        "STD",
        date(2027, 3, 1),
        date(2027, 3, 4),
    )
    assert str(fact.total) == "270.00" and fact.guest_name == "Ada Guest" and fact.adults == 2
    modify = res_messages.read(
        parse(
            standin.reservation(
                hotel_code="H1",
                confirmation="C9",
                room_code="STD",
                rate_code="BAR",
                arrival=date(2027, 3, 1),
                departure=date(2027, 3, 2),
                modify=True,
            ),
            expect=res_messages.ROOTS,
        )
    )
    assert modify.bookings[0].action == "modify"


def test_the_response_names_our_id_for_theirs() -> None:
    doc = res_messages.Document(root_name="OTA_HotelResNotifRQ", echo="x", bookings=())
    rs = res_messages.response(doc, now=NOW, ours=[("C9", ["01ABC"])])
    parse(serialize(rs), expect=("OTA_HotelResNotifRS",))
    ids = {i.get("ResID_Type"): i.get("ResID_Value") for i in rs.iter("{*}HotelReservationID")}
    assert ids == {"16": "C9", "14": "01ABC"}


@settings(max_examples=60)
@given(
    st.sampled_from(["2027-03-01", "BAR", "STD", "H1", "Book", "10", "2", "270.00", "EUR", "C9"]),
    st.text(max_size=12),
)
def test_any_changed_value_in_a_reservation_is_read_or_refused_cleanly(old: str, new: str) -> None:
    doc = standin.reservation(
        hotel_code="H1",
        confirmation="C9",
        room_code="STD",
        rate_code="BAR",
        arrival=date(2027, 3, 1),
        departure=date(2027, 3, 4),
        total="270.00",
    )
    escaped = new.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;").encode("utf-8", "replace")
    mutated = doc.replace(f'"{old}"'.encode(), b'"' + escaped + b'"', 1)
    with contextlib.suppress(XmlRefused):  # anything else (a crash) fails the test
        res_messages.read(parse(mutated, expect=res_messages.ROOTS))


def test_a_dated_night_with_a_zone_is_refused() -> None:
    doc = standin.reservation(
        hotel_code="H1",
        confirmation="C9",
        room_code="STD",
        rate_code="BAR",
        arrival=date(2027, 3, 1),
        departure=date(2027, 3, 4),
    )
    with pytest.raises(XmlRefused, match="plain date"):
        res_messages.read(
            parse(doc.replace(b'Start="2027-03-01"', b'Start="2027-03-01Z"'), expect=res_messages.ROOTS)
        )


THREADS_AT_FIRST_USE = """
import threading
from datetime import UTC, date, datetime
from cloud.channels.ota import ari_messages, res_messages, standin
from cloud.channels.ota.xml import XmlRefused, parse, serialize
from cloud.channels.port import AriItem, AriRange, AriUpdate, NightAri

value = NightAri(free=2, price_minor=9000, closed_to_arrival=True, min_stay=2)
update = AriUpdate(kind="availability", hotel_code="H1", currency="EUR", decimals=2, after_tax=True,
                   items=(AriItem("STD", "BAR", (AriRange(date(2027, 3, 1), date(2027, 3, 3), value),)),))
doc = standin.reservation(hotel_code="H1", confirmation="C1", room_code="STD", rate_code="BAR",
                          arrival=date(2027, 3, 1), departure=date(2027, 3, 2))
start, answers = threading.Barrier(8), []

def send():
    start.wait()
    for _ in range(50):
        serialize(ari_messages.build(update, echo="e", now=datetime(2027, 3, 1, tzinfo=UTC)))
    answers.append("sent")

def refuse(bad):
    start.wait()
    for _ in range(50):
        try:
            parse(doc.replace(b'Count="2"', b'Count="' + bad + b'"'), expect=res_messages.ROOTS)
        except XmlRefused as exc:
            assert repr(bad.decode()) in str(exc) or bad.decode() in str(exc), (bad, str(exc))
    answers.append("refused")

threads = [threading.Thread(target=send) for _ in range(4)]
threads += [threading.Thread(target=refuse, args=(b"x%d" % i,)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sorted(answers))
"""


def test_threads_using_the_schema_at_once_in_a_new_process_each_get_their_own_answer() -> None:
    """The sender's first round pushes in parallel: the schema's first build and its error log
    are shared by every thread of the process (each refusal names its own bad value)."""
    done = subprocess.run([sys.executable, "-c", THREADS_AT_FIRST_USE], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[0] == str(["refused"] * 4 + ["sent"] * 4)
