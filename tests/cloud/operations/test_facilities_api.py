"""Facilities on the real app: a pool slot becomes a door pass that the gateway's own decision
code opens at 17:00 and refuses at 18:01; bad slots and double bookings are refused, nothing changed."""

from __future__ import annotations

import base64
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.models import AuditEntry
from cloud.catalog.models import Property, Room
from cloud.commands.models import Command
from cloud.keys.commands import b64url
from cloud.keys.storage import KeyDirectory
from cloud.reservations.models import Reservation, StayCredential
from cloud.reservations.stays import credentials
from edge.access.commands import apply_command
from edge.access.decision import Reason, decide
from edge.access.hours import OpeningHours
from edge.access.memory import MemoryAccessState
from edge.access.ports import PublicKey
from edge.access.scope import Door
from edge.clock import TimeReading
from mqtt.access_messages import FacilitySlot
from mqtt.keycard import Area
from tests.cloud.operations.conftest import NOW, book_and_check_in

# the package's one app and database: its modules run on one worker, in order (conftest.py)
pytestmark = pytest.mark.xdist_group("operations-app")

BASE = "/api/v1/properties/hotel"
DAY = "2027-03-01"


def _facility(client: TestClient, code: str, area: str, capacity: int, price: int = 0) -> None:
    r = client.post(
        f"{BASE}/facilities",
        json={
            "code": code,
            "area": area,
            "opens": "07:00",
            "closes": "22:00",
            "capacity": capacity,
            "slot_minutes": 60,
            "price_minor": price,
            "names": {"en": code.title(), "es": code, "zh": code},
        },
    )
    assert r.status_code == 201, r.text


@pytest.fixture(scope="module", name="stay")
def _stay(manager: TestClient) -> str:
    _facility(manager, "pool", "pool", 10)
    _facility(manager, "massage-1", "spa", 1, price=6000)
    return book_and_check_in(manager)


def _book(client: TestClient, stay: str, code: str, start: str, end: str, **more: Any) -> Any:
    return client.post(
        f"{BASE}/facilities/{code}/bookings",
        json={"reservation_id": stay, "day": DAY, "start": start, "end": end, **more},
    )


def _gateway(sessions: sessionmaker[Session], keys_dir: Path) -> tuple[MemoryAccessState, int, ZoneInfo]:
    state = MemoryAccessState()
    for key in KeyDirectory(keys_dir).load():
        state.keys[key.key_id] = PublicKey(key.key_id, key.public_bytes())
    with sessions() as s:
        prop = s.scalar(select(Property).where(Property.slug == "hotel"))
        assert prop is not None
        return state, prop.number, ZoneInfo(prop.timezone)


def test_the_pool_door_opens_for_the_slot_at_17_and_not_at_18_01(
    manager: TestClient, stay: str, sessions: sessionmaker[Session], keys_dir: Path
) -> None:
    r = _book(manager, stay, "pool", "17:00", "18:00")
    assert r.status_code == 201, r.text
    card = r.json()["card"]
    data = base64.urlsafe_b64decode(card + "=" * (-len(card) % 4))
    assert b64url(data) == card
    state, site, zone = _gateway(sessions, keys_dir)
    pool = Door(site=site, floor=0, area=Area.POOL)
    hours = OpeningHours.parse("07:00-22:00", zone)

    def tap(hh: int, mm: int, door: Door = pool) -> Reason:
        at = datetime.combine(date(2027, 3, 1), time(hh, mm), zone)
        reading = TimeReading(at=at, trusted=True, not_before=None, offset_s=0.0)
        return decide(data, door=door, time=reading, state=state, hours=hours).reason

    assert tap(17, 0) is Reason.GRANTED
    assert tap(17, 59) is Reason.GRANTED
    assert tap(18, 1) is Reason.EXPIRED
    assert tap(16, 50) is Reason.NOT_YET_VALID
    assert tap(17, 30, Door(site=site, floor=0, area=Area.SPA)) is Reason.WRONG_DOOR


def test_a_treatment_room_is_not_double_booked_and_touching_slots_are_fine(
    manager: TestClient, stay: str
) -> None:
    first = _book(manager, stay, "massage-1", "18:00", "19:00")
    assert first.status_code == 201, first.text
    folio = manager.get(f"/api/v1/reservations/{stay}/folio").json()
    spa_lines = [c for c in folio["charges"] if c["kind"] == "spa"]
    clash = _book(manager, stay, "massage-1", "18:00", "19:00")
    assert clash.status_code == 409 and clash.json()["reason"] == "full"
    assert _book(manager, stay, "massage-1", "19:00", "20:00").status_code == 201
    after = manager.get(f"/api/v1/reservations/{stay}/folio").json()
    assert len([c for c in after["charges"] if c["kind"] == "spa"]) == len(spa_lines) + 1


@pytest.mark.parametrize(
    ("start", "end", "status"),
    [
        ("06:00", "07:00", 422),
        ("10:00", "11:00", 422),
        ("21:30", "22:30", 422),
        ("18:00", "17:00", 422),
        ("17:00", "17:30", 422),
    ],
)
def test_a_slot_outside_the_hours_is_refused_and_nothing_is_booked(
    manager: TestClient, stay: str, start: str, end: str, status: int
) -> None:
    before = manager.get(f"{BASE}/facility-bookings", params={"day": DAY}).json()
    r = _book(manager, stay, "pool", start, end)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert manager.get(f"{BASE}/facility-bookings", params={"day": DAY}).json() == before


def test_cancelling_frees_the_room_and_revokes_the_pass_on_every_floor(
    manager: TestClient, stay: str, sessions: sessionmaker[Session]
) -> None:
    r = _book(manager, stay, "massage-1", "20:00", "21:00")
    booking = r.json()
    assert manager.post(f"{BASE}/facility-bookings/{booking['id']}/cancel").status_code == 200
    assert manager.post(f"{BASE}/facility-bookings/{booking['id']}/cancel").status_code == 409
    with sessions() as s:
        revokes = [
            c
            for c in s.scalars(select(Command).where(Command.type == "credential.revoke"))
            if c.data.get("credential_id") == booking["credential_id"]
        ]
    assert revokes
    assert _book(manager, stay, "massage-1", "20:00", "21:00").status_code == 201


@pytest.mark.parametrize(
    ("lang", "word"), [("en", "Book a slot"), ("es", "Reservar un turno"), ("zh-Hans", "预约时段")]
)
def test_the_facilities_page_lists_the_day_and_books_from_its_form(
    manager: TestClient, stay: str, lang: str, word: str
) -> None:
    page = manager.get("/operations/facilities", params={"day": DAY}, headers={"Accept-Language": lang})
    assert page.status_code == 200 and word in page.text and 'data-facility="massage-1"' in page.text


def test_a_double_booking_from_the_form_shows_the_reason_and_books_nothing(
    manager: TestClient, stay: str
) -> None:
    form = {
        "facility": "massage-1",
        "reservation_id": stay,
        "day": DAY,
        "start": "21:00",
        "end": "22:00",
        "guests": "1",
    }
    first = manager.post("/operations/facilities/hotel", data=form, follow_redirects=False)
    assert first.status_code == 303, first.text
    before = manager.get(f"{BASE}/facility-bookings", params={"day": DAY}).json()
    again = manager.post("/operations/facilities/hotel", data=form, follow_redirects=False)
    assert again.status_code == 409 and "already full" in again.text
    assert manager.get(f"{BASE}/facility-bookings", params={"day": DAY}).json() == before


def test_an_in_house_guest_books_from_the_phone_page_and_a_closed_hour_is_refused(
    manager: TestClient, stay: str
) -> None:
    ctx = manager.app.services.guestweb  # type: ignore[attr-defined]
    ref = ctx.signer.sign(purpose="stay", reservation_id=stay, expires_at=NOW + timedelta(days=3))
    page = manager.get(f"/guest/hotel/stay/{ref}/facilities?lang=es")
    assert page.status_code == 200 and "Reservar un turno" in page.text
    slot = {"facility": "pool", "day": DAY, "start": "19:00", "end": "20:00"}
    booked = manager.post(f"/guest/hotel/stay/{ref}/facilities?lang=es", data=slot, follow_redirects=True)
    assert booked.status_code == 200 and 'data-booking="pool"' in booked.text
    closed = manager.post(
        f"/guest/hotel/stay/{ref}/facilities?lang=es", data={**slot, "start": "22:00", "end": "23:00"}
    )
    assert closed.status_code == 422 and "fuera del horario" in closed.text


def _stay_card(sessions: sessionmaker[Session], stay: str) -> bytes:
    """The stay's own keycard, as check-in sent it to the floor (``credential.upsert``)."""
    with sessions() as s:
        ids = set(s.scalars(select(StayCredential.id).where(StayCredential.reservation_id == stay)))
        upserts = [c for c in s.scalars(select(Command).where(Command.type == "credential.upsert"))
                   if c.data.get("credential_id") in ids]
    assert upserts, "check-in sends the stay's card to its floor"
    card = str(upserts[0].data["card"])
    return base64.urlsafe_b64decode(card + "=" * (-len(card) % 4))


def _deliver_slots(sessions: sessionmaker[Session], state: MemoryAccessState, booking_id: str) -> int:
    """Apply the booking's ``facility.slot`` commands through the gateway's own command handler."""
    with sessions() as s:
        commands = [c for c in s.scalars(select(Command).where(Command.type == "facility.slot").order_by(
            Command.created_at)) if c.data.get("booking_id") == booking_id]
    for c in commands:
        outcome = apply_command(c.id, c.type, data=FacilitySlot.model_validate(c.data), state=state, now=NOW)
        assert outcome.ok, outcome.error
    return len(commands)


def test_the_stays_own_card_opens_a_pool_that_opens_by_booking_only_within_its_slot(
    manager: TestClient, stay: str, sessions: sessionmaker[Session], keys_dir: Path
) -> None:
    mine = book_and_check_in(manager, email=None)
    card, other = _stay_card(sessions, mine), _stay_card(sessions, stay)
    state, site, zone = _gateway(sessions, keys_dir)
    pool = Door(site=site, floor=0, area=Area.POOL, by_booking=True)
    hours = OpeningHours.parse("07:00-22:00", zone)

    def tap(hh: int, mm: int, data: bytes = card) -> Reason:
        at = datetime.combine(date(2027, 3, 1), time(hh, mm), zone)
        reading = TimeReading(at=at, trusted=True, not_before=None, offset_s=0.0)
        return decide(data, door=pool, time=reading, state=state, hours=hours).reason

    assert tap(17, 0) is Reason.NOT_BOOKED  # open, but nothing booked: the card's pool bit is not enough
    r = _book(manager, mine, "pool", "17:00", "18:00")
    assert r.status_code == 201, r.text
    assert _deliver_slots(sessions, state, r.json()["id"]) >= 1  # every floor hears of it
    assert tap(17, 0) is Reason.GRANTED
    assert tap(17, 59) is Reason.GRANTED
    assert tap(18, 1) is Reason.NOT_BOOKED
    assert tap(16, 30) is Reason.NOT_BOOKED
    assert tap(17, 30, other) is Reason.NOT_BOOKED  # another stay's card, the same hour
    assert tap(22, 30) is Reason.OUTSIDE_HOURS
    assert manager.post(f"{BASE}/facility-bookings/{r.json()['id']}/cancel").status_code == 200
    _deliver_slots(sessions, state, r.json()["id"])
    assert tap(17, 30) is Reason.NOT_BOOKED


def _newest_card(sessions: sessionmaker[Session], stay: str) -> bytes:
    """The stay's card sent to a floor last (``credential.upsert``)."""
    with sessions() as s:
        ids = set(s.scalars(select(StayCredential.id).where(StayCredential.reservation_id == stay)))
        upserts = [c for c in s.scalars(select(Command).where(Command.type == "credential.upsert")
                                        .order_by(Command.created_at)) if c.data.get("credential_id") in ids]
    card = str(upserts[-1].data["card"])
    return base64.urlsafe_b64decode(card + "=" * (-len(card) % 4))


def test_a_room_move_takes_the_stays_booked_slot_to_the_new_rooms_cards(
    manager: TestClient, stay: str, sessions: sessionmaker[Session], keys_dir: Path
) -> None:
    mine = book_and_check_in(manager, email=None)
    old_card = _stay_card(sessions, mine)
    state, site, zone = _gateway(sessions, keys_dir)
    pool = Door(site=site, floor=0, area=Area.POOL, by_booking=True)
    hours = OpeningHours.parse("07:00-22:00", zone)

    def tap(data: bytes) -> Reason:
        at = datetime.combine(date(2027, 3, 1), time(20, 30), zone)
        reading = TimeReading(at=at, trusted=True, not_before=None, offset_s=0.0)
        return decide(data, door=pool, time=reading, state=state, hours=hours).reason

    r = _book(manager, mine, "pool", "20:00", "21:00")
    assert r.status_code == 201, r.text
    booking = r.json()["id"]
    _deliver_slots(sessions, state, booking)
    assert tap(old_card) is Reason.GRANTED
    before = manager.get(f"/api/v1/reservations/{mine}").json()["rooms"][0]["room"]
    with sessions() as s:
        candidates = [str(n) for n in s.scalars(select(Room.number).order_by(Room.number))]
    for number in candidates:  # the first free room of the type
        if number == before:
            continue
        moved = manager.post(f"/api/v1/reservations/{mine}/move", json={"room": number})
        if moved.status_code == 200:
            break
    assert moved.status_code == 200, moved.text
    after = moved.json()["rooms"][0]["room"]
    assert after != before
    assert _deliver_slots(sessions, state, booking) >= 2  # the floors heard of the move
    slot = state.slots[booking]
    assert str(slot.room) == after
    assert tap(old_card) is Reason.NOT_BOOKED  # the old room's card no longer opens the pool
    with sessions.begin() as s:  # the desk keys a card for the new room
        res = s.get(Reservation, mine)
        assert res is not None
        room_id = s.scalar(select(Room.id).where(Room.number == int(after)))
        assert room_id is not None
        credentials.issue_for_room(s, manager.app.services.issuer, res=res, room_id=room_id,  # type: ignore[attr-defined]
                                   valid_from=NOW, valid_until=res.checkout_due_at, now=NOW)
    assert tap(_newest_card(sessions, mine)) is Reason.GRANTED  # the new room's card does
    with sessions() as s:
        audited = s.scalars(select(AuditEntry).where(AuditEntry.action == "facility.slots_moved",
                                                     AuditEntry.entity_id == mine)).one()
        assert audited.detail["bookings"] == [booking]
