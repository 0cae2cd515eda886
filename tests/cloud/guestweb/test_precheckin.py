"""Pre-check-in through the signed link (the ID document sealed in the guest registry, its format
checked for its country) and QR check-in at the desk in one action."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.roles import Role
from cloud.guests.context import build_guests
from cloud.guests.models import Guest
from cloud.guests.settings import GuestSettings
from cloud.guestweb.models import PreCheckIn
from cloud.guestweb.precheckin import erase_expired_documents
from cloud.keys.storage import KeyDirectory
from cloud.notify.models import OutboxMessage
from cloud.reservations.models import Reservation
from tests.cloud.guestweb.conftest import Clock
from tests.cloud.guestweb.test_pages import details_form
from tests.cloud.reservations.apps import client_for
from tests.cloud.reservations.conftest import NOW, RecordingIssuer

TODAY = {"arrival": "2027-03-01", "departure": "2027-03-03"}
GUEST = {"name": "Ana Ruiz", "nationality": "ES", "birth_date": "1990-05-04", "doc_type": "national_id",
         "doc_number": "12345678Z", "doc_country": "ES", "arrival_time": "16:30", "pillow": "firm",
         "signed_name": "Ana Ruiz", "accept": "yes"}


@pytest.fixture
def issuer(tmp_path: Path) -> RecordingIssuer:
    return RecordingIssuer(KeyDirectory(tmp_path / "desk-keys").load_or_create(now=NOW - timedelta(days=60)))


@pytest.fixture
def desk(sessions: sessionmaker[Session], clock: Clock, issuer: RecordingIssuer) -> Iterator[TestClient]:
    with client_for(sessions, clock=clock, issuer=issuer, role=Role.FRONT_DESK) as c:
        c.follow_redirects = False
        yield c


def paid_today(client: TestClient, sessions: sessionmaker[Session]) -> str:
    """Book tonight and pay (the simulated provider); the pre-check-in link from the confirmation."""
    form = {**details_form(client), **TODAY}
    stay = client.post("/guest/hotel/book?lang=es", data=form).headers["location"].split("?")[0]
    assert client.post(f"{stay}/pay").status_code == 303
    with sessions() as s:
        row = s.scalars(select(OutboxMessage).where(
            OutboxMessage.template == "email_booking_confirmed")).one()
    found = re.search(r"http://testserver(/guest/hotel/precheckin/\S+)", row.payload["text"])
    assert found is not None
    return found.group(1)


def test_an_id_number_of_the_wrong_form_is_refused_and_nothing_is_kept(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    link = paid_today(client, sessions)
    with sessions() as s:  # the booking found (here: made) its guest's profile, without a document
        before = [(g.id, g.document_enc, g.updated_at) for g in s.scalars(select(Guest))]
    answer = client.post(link, data={**GUEST, "doc_number": "12345678A"})
    assert answer.status_code == 422 and "no parece correcto" in answer.text
    with sessions() as s:
        after = [(g.id, g.document_enc, g.updated_at) for g in s.scalars(select(Guest))]
        assert s.scalars(select(PreCheckIn)).all() == [] and after == before


def test_precheckin_seals_the_document_and_shows_the_check_in_code(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    link = paid_today(client, sessions)
    page = client.get(link)
    assert 'id="retention"' in page.text and "2030" in page.text  # three years after departure
    assert client.post(link, data=GUEST).status_code == 303
    done = client.get(link)
    assert 'id="checkin-qr"' in done.text
    assert client.get(link.split("?")[0] + "/qr.png").content.startswith(b"\x89PNG")
    with sessions() as s:
        res = s.scalars(select(Reservation)).one()
        assert res.guest_id is not None
        stored = " ".join(str(v) for v in s.execute(text("SELECT * FROM guests")).one())
        assert "12345678Z" not in stored and "Ana Ruiz" not in stored  # sealed, as every guest's data
        vault = build_guests(GuestSettings()).vault
        guest = s.get(Guest, res.guest_id)
        assert guest is not None
        opened = vault.open(guest)
        assert opened is not None and opened.document is not None and opened.document.number == "12345678Z"


def test_the_document_is_erased_when_its_retention_ends(client: TestClient,
                                                       sessions: sessionmaker[Session]) -> None:
    link = paid_today(client, sessions)
    client.post(link, data=GUEST)
    vault = build_guests(GuestSettings()).vault
    with sessions.begin() as s:
        row = s.scalars(select(PreCheckIn)).one()
        assert erase_expired_documents(s, vault, now=row.document_until - timedelta(days=1)) == 0
        assert erase_expired_documents(s, vault, now=row.document_until) == 1
    with sessions() as s:
        guest = s.scalars(select(Guest)).one()
        opened = vault.open(guest)
        assert opened is not None and opened.document is None and opened.name == "Ana Ruiz"


def test_scanning_the_code_at_the_desk_checks_the_stay_in_and_sends_the_card(
    client: TestClient, desk: TestClient, sessions: sessionmaker[Session], clock: Clock,
    issuer: RecordingIssuer,
) -> None:
    link = paid_today(client, sessions)
    client.post(link, data=GUEST)
    code = re.search(r'data-code="([^"]+)"', client.get(link).text)
    assert code is not None
    clock.now = NOW.replace(hour=14)  # 15:00 in Madrid: check-in is open
    tampered = desk.post("/desk/qr-check-in", data={"code": "POSADA-CHECKIN:" + code.group(1)[:-3] + "AAA"})
    assert tampered.status_code == 404
    with sessions() as s:
        assert s.scalars(select(Reservation)).one().status == "booked"
    answer = desk.post("/desk/qr-check-in", data={"code": "POSADA-CHECKIN:" + code.group(1)})
    assert answer.status_code == 303
    with sessions() as s:
        res = s.scalars(select(Reservation)).one()
        assert answer.headers["location"] == f"/reservations/{res.id}" and res.status == "checked_in"
        assert s.scalars(select(PreCheckIn)).one().checked_in_at is not None
    assert len(issuer.requests) == 1 and issuer.requests[0].site == "hotel"  # the card went to the floor
