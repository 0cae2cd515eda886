"""The public booking pages: search, details, a held booking on the desk's path, its signed link."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.core.db import make_sessionmaker
from cloud.guestweb.booking import release_due
from cloud.guestweb.models import GuestHold
from cloud.reservations.models import Reservation
from cloud.setup.demo import seed_demo
from tests.cloud.guestweb.conftest import Clock, make_app
from tests.cloud.reservations.conftest import NOW
from tests.support.db import migrated_engine

STAY = {"arrival": "2027-03-11", "departure": "2027-03-14", "adults": "2", "children": "0"}


def details_form(client: TestClient, *, room_type: str = "std", plan: str = "flex",
                 lang: str = "en") -> dict[str, str]:
    page = client.get("/guest/hotel/book", params={**STAY, "room_type": room_type, "rate_plan": plan,
                                                   "lang": lang})
    assert page.status_code == 200, page.text
    key = re.search(r'name="form_key" value="([^"]+)"', page.text)
    assert key is not None
    return {**STAY, "room_type": room_type, "rate_plan": plan, "form_key": key.group(1),
            "guest_name": "Ana Ruiz", "guest_email": "ana@example.com", "guest_phone": "", "pay": "deposit"}


def test_search_lists_room_types_with_conditions_and_nightly_prices(client: TestClient) -> None:
    page = client.get("/guest/hotel", params={**STAY, "lang": "es"})
    assert page.status_code == 200
    assert 'data-room-type="std"' in page.text and 'data-rate-plan="nonref"' in page.text
    assert "90,00\xa0€" in page.text  # the property's currency, written the Spanish way
    assert "Sign in" not in page.text  # no staff sign-in on the guest pages
    assert page.headers["content-security-policy"] == "frame-ancestors 'self'"


def test_booking_holds_a_room_on_the_desk_path_and_redirects_to_a_signed_link(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    answer = client.post("/guest/hotel/book?lang=es", data=details_form(client, lang="es"))
    assert answer.status_code == 303
    link = answer.headers["location"]
    assert link.startswith("/guest/hotel/stay/")
    with sessions() as s:
        res = s.scalars(select(Reservation)).one()
        held = s.get(GuestHold, res.id)
        assert held is not None and held.state == "held" and held.amount_minor == res.deposit_required_minor
        assert res.guest_language == "es" and res.id not in link  # the link names no booking id
        assert res.guest_id is not None  # the booking found (here: made) its guest's registry profile
    page = client.get(link)
    assert page.status_code == 200 and "Ana Ruiz" in page.text


def test_double_submitted_booking_form_books_once(client: TestClient,
                                                  sessions: sessionmaker[Session]) -> None:
    form = details_form(client)
    first = client.post("/guest/hotel/book", data=form)
    again = client.post("/guest/hotel/book", data=form)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"].split("?")[0] == again.headers["location"].split("?")[0]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Reservation)) == 1


def test_tampered_link_is_refused_clearly(client: TestClient) -> None:
    link = client.post("/guest/hotel/book", data=details_form(client)).headers["location"]
    path = link.split("?")[0]
    body, tag = path.rsplit("/", 1)[1].split(".")
    tampered = f"{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{tag}"
    page = client.get(f"/guest/hotel/stay/{tampered}?lang=zh-Hans")
    assert page.status_code == 404
    assert "链接" in page.text  # the message is in the guest's language


def test_invalid_guest_details_change_nothing(client: TestClient, sessions: sessionmaker[Session]) -> None:
    form = {**details_form(client), "guest_email": "not-an-email"}
    answer = client.post("/guest/hotel/book", data=form)
    assert answer.status_code == 422
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Reservation)) == 0


def test_on_postgresql_a_booking_is_held_and_an_expired_hold_is_released(pg_url: str, tmp_path: Path) -> None:
    engine = migrated_engine(pg_url, pool_size=2, max_overflow=2)
    try:
        sessions = make_sessionmaker(engine)
        with sessions.begin() as s:
            seed_demo(s)
        clock = Clock(NOW)
        app = make_app(sessions, clock, tmp_path)
        with TestClient(app, follow_redirects=False) as client:
            assert client.post("/guest/hotel/book", data=details_form(client)).status_code == 303
        with sessions.begin() as s:
            assert release_due(s, ledger=app.services.ledger, now=NOW + timedelta(hours=1)) == 1
        with sessions() as s:
            assert s.scalars(select(Reservation)).one().status == "cancelled"
            assert s.scalars(select(GuestHold)).one().state == "released"
        app.services.engine.dispose()
    finally:
        engine.dispose()
