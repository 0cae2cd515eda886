"""Front-desk pages: today's lists, the tape chart, the booking form, stays and group blocks."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.roles import Role
from cloud.reservations.models import Reservation
from tests.cloud.reservations.apps import client_for
from tests.cloud.reservations.conftest import NOW, RecordingIssuer

ARRIVAL_DAY = datetime(2027, 3, 8, 15, 0, tzinfo=UTC)  # 16:00 in Madrid on arrival day
FORM = {
    "room_type": "std",
    "rate_plan": "flex",
    "arrival": "2027-03-08",
    "departure": "2027-03-10",
    "adults": "2",
    "children": "0",
    "guest_name": "Marta Gil",
    "guest_email": "",
    "guest_phone": "",
    "notes": "",
    "floor": "f2",
    "view": "",
    "accessible": "",
}


def _count(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Reservation)) or 0)


def test_booking_form_quotes_books_and_the_desk_checks_in(
    sessions: sessionmaker[Session], issuer: RecordingIssuer
) -> None:
    clock = {"now": NOW}
    with client_for(sessions, clock=lambda: clock["now"], issuer=issuer) as client:
        quotes = client.get("/reservations/new", params={"arrival": "2027-03-08", "departure": "2027-03-10"})
        assert quotes.status_code == 200 and 'id="offers"' in quotes.text and "Suite" in quotes.text
        bad = client.post("/reservations/new", data={**FORM, "guest_name": ""})
        assert bad.status_code == 422 and "name is required" in bad.text and _count(sessions) == 0
        booked = client.post("/reservations/new", data=FORM, follow_redirects=False)
        assert booked.status_code == 303
        stay = client.get(booked.headers["location"])
        assert "Marta Gil" in stay.text and re.search(r"\b2\d\d \(", stay.text)  # a room on floor f2
        assert " · Standard double · " in stay.text  # the hotel's name of the type, not its code
        clock["now"] = ARRIVAL_DAY
        today = client.get("/reservations")
        assert "Marta Gil" in today.text and "/check-in" in today.text
        reservation_id = booked.headers["location"].rsplit("/", 1)[1]
        done = client.post(f"/reservations/{reservation_id}/check-in", follow_redirects=True)
        assert done.status_code == 200 and "checked in" in done.text
        assert len(issuer.requests) == 1


def test_tape_chart_lists_every_room_with_stays_as_keyboard_buttons(sessions: sessionmaker[Session]) -> None:
    with client_for(sessions, clock=lambda: NOW) as client:
        client.post("/reservations/new", data=FORM)
        chart = client.get("/reservations/chart", params={"start": "2027-03-07", "days": "7"})
        assert chart.status_code == 200
        assert len(re.findall(r'<tr data-room="', chart.text)) == 20
        assert 'class="bar booked" data-id="' in chart.text and "press M to move" in chart.text


def test_a_refused_move_is_shown_and_changes_nothing(sessions: sessionmaker[Session]) -> None:
    with client_for(sessions, clock=lambda: NOW) as client:
        first = client.post("/reservations/new", data=FORM, follow_redirects=False).headers["location"]
        second = client.post("/reservations/new", data=FORM, follow_redirects=False).headers["location"]
        room = re.search(r"\b(\d{3}) \(", client.get(first).text)
        assert room is not None
        refused = client.post(f"{second}/move", data={"room": room.group(1)})
        assert refused.status_code == 200 and 'role="alert"' in refused.text
        assert room.group(1) + " (" not in client.get(second).text


def test_the_stay_page_changes_the_guests_language_and_refuses_an_unknown_one(
    sessions: sessionmaker[Session],
) -> None:
    with client_for(sessions, clock=lambda: NOW) as client:
        stay = client.post("/reservations/new", data=FORM, follow_redirects=False).headers["location"]
        assert 'action="' + stay + '/language"' in client.get(stay).text
        changed = client.post(f"{stay}/language", data={"guest_language": "zh"}, follow_redirects=True)
        assert changed.status_code == 200 and '<option value="zh" selected>' in changed.text
        refused = client.post(f"{stay}/language", data={"guest_language": "fr"})
        assert refused.status_code == 200 and 'role="alert"' in refused.text
        with sessions() as s:
            assert s.scalar(select(Reservation.guest_language)) == "zh"


def test_group_block_screen_imports_the_list_and_checks_the_group_in(
    sessions: sessionmaker[Session], issuer: RecordingIssuer
) -> None:
    clock = {"now": NOW}
    with client_for(sessions, clock=lambda: clock["now"], issuer=issuer) as client:
        made = client.post(
            "/reservations/blocks",
            follow_redirects=False,
            data={
                "name": "Coro",
                "kind": "group",
                "arrival": "2027-03-08",
                "departure": "2027-03-10",
                "release_on": "2027-03-05",
                "rate_plan": "flex",
                "rooms_std": "2",
                "rooms_sup": "0",
                "rooms_ste": "0",
            },
        )
        assert made.status_code == 303
        block = made.headers["location"]
        bad = client.post(
            f"{block}/rooming-list",
            files={"file": ("list.csv", b"guest_name,room_type\nAna,std\n,std\n", "text/csv")},
        )
        assert bad.status_code == 422 and "Line 3" in bad.text and _count(sessions) == 0
        good = client.post(
            f"{block}/rooming-list",
            follow_redirects=True,
            files={"file": ("list.csv", b"guest_name,room_type\nAna,std\nBea,std\n", "text/csv")},
        )
        assert "Ana" in good.text and "Bea" in good.text and _count(sessions) == 2
        clock["now"] = ARRIVAL_DAY
        checked = client.post(f"{block}/check-in", follow_redirects=True)
        assert checked.text.count("checked in") == 2 and len(issuer.requests) == 2


def test_housekeeping_cannot_open_the_front_desk(sessions: sessionmaker[Session]) -> None:
    with client_for(sessions, clock=lambda: NOW, role=Role.HOUSEKEEPING) as client:
        assert client.get("/reservations").status_code == 403
        assert client.get("/reservations/chart").status_code == 403
