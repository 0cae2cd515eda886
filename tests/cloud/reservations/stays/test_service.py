"""Check-in, check-out at the exact hour, late checkout: cards and room settings reach the gateway."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, time, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.board.models import RoomStatus
from cloud.catalog.models import Room
from cloud.commands.models import Command
from cloud.guests.models import Guest, GuestStay
from cloud.guests.settings import GuestSettings
from cloud.reservations.errors import InvalidRequest, TooEarly, WrongState
from cloud.reservations.models import RoomAllocation, StayCredential, TypeInventory
from cloud.reservations.sales import booking
from cloud.reservations.sales.booking import Booking
from cloud.reservations.stays import credentials, rooms
from cloud.reservations.stays import service as stays
from cloud.reservations.stays.guest_history import GuestHistory
from mqtt.envelope import new_id
from mqtt.keycard import Card, Kind, parse_card
from tests.cloud.reservations.conftest import NOW, RecordingIssuer
from tests.cloud.reservations.invariants import check_invariants

ARRIVAL = date(2027, 3, 8)
AT_16 = datetime(2027, 3, 8, 15, 0, tzinfo=UTC)  # 16:00 in Madrid


def _book(session: Session, nights: int = 2) -> str:
    res = booking.book(
        session,
        Booking(
            property="hotel",
            room_type="std",
            rate_plan="flex",
            arrival=ARRIVAL,
            departure=ARRIVAL + timedelta(days=nights),
            guest_name="Li Wei",
        ),
        now=NOW,
    )
    return res.id


def _commands(session: Session) -> list[Command]:
    return list(session.scalars(select(Command).order_by(Command.created_at, Command.id)))


def _room(session: Session, reservation_id: str) -> Room:
    alloc = session.scalars(
        select(RoomAllocation).where(RoomAllocation.reservation_id == reservation_id)
    ).one()
    room = session.get(Room, alloc.room_id)
    assert room is not None
    return room


def test_check_in_sends_the_card_and_room_settings_to_the_floor_gateway(
    session: Session, issuer: RecordingIssuer
) -> None:
    res = booking.load(session, _book(session))
    stays.check_in(session, res, issuer=issuer, now=AT_16)
    room = _room(session, res.id)
    sent = _commands(session)
    assert [c.type for c in sent] == ["credential.upsert", "room.settings"]
    upsert = sent[0]
    assert (upsert.site, upsert.floor) == ("hotel", f"f{room.slug[0]}")
    assert upsert.data["rooms"] == [room.slug]
    assert upsert.data["valid_until"].startswith("2027-03-10T10:00:00")  # 11:00 in Madrid
    assert issuer.requests[0].room == room.slug and issuer.requests[0].valid_from == AT_16
    card = _verified(issuer, upsert.data["card"])
    assert card.kind is Kind.GUEST and card.site == 1 and card.rooms == (room.number,)
    assert card.floor == int(room.slug[0]) and card.credential_ref == upsert.data["credential_id"]
    assert card.valid_until == datetime(2027, 3, 10, 10, 0, tzinfo=UTC) and card.sequence == 1
    assert res.status == "checked_in"


def _verified(issuer: RecordingIssuer, text: str) -> Card:
    """Parse the card and check its Ed25519 signature with the property's public key."""
    signed = parse_card(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    key = issuer.keyring.by_id(signed.card.key_id)
    Ed25519PublicKey.from_public_bytes(key.public_bytes()).verify(signed.signature, signed.message)
    return signed.card


def test_the_next_guest_of_a_room_gets_a_higher_sequence(session: Session, issuer: RecordingIssuer) -> None:
    first = booking.load(session, _book(session, nights=1))
    stays.check_in(session, first, issuer=issuer, now=AT_16)
    room = _room(session, first.id)
    second = booking.book(
        session,
        Booking(
            property="hotel",
            room_type="std",
            rate_plan="flex",
            arrival=date(2027, 3, 9),
            departure=date(2027, 3, 10),
            guest_name="Next",
            preferences={},
        ),
        now=NOW,
    )
    rooms.move(session, second, room=room)
    stays.check_out(session, first, now=datetime(2027, 3, 9, 9, 0, tzinfo=UTC))
    stays.check_in(session, second, issuer=issuer, now=datetime(2027, 3, 9, 15, 0, tzinfo=UTC))
    assert [r.sequence for r in issuer.requests] == [1, 2]
    assert {r.room for r in issuer.requests} == {room.slug}


def test_early_check_in_needs_a_ready_room(session: Session, issuer: RecordingIssuer) -> None:
    res = booking.load(session, _book(session))
    morning = datetime(2027, 3, 8, 9, 30, tzinfo=UTC)  # 10:30 local, before the 15:00 check-in
    with pytest.raises(TooEarly):
        stays.check_in(session, res, issuer=issuer, now=morning)
    room = _room(session, res.id)
    session.add(
        RoomStatus(
            site="hotel", floor=f"f{room.slug[0]}", room=room.slug, housekeeping="inspected", occupied=False
        )
    )
    session.flush()
    stays.check_in(session, res, issuer=issuer, now=morning)
    assert res.status == "checked_in"


def test_check_in_before_the_arrival_day_is_too_early(session: Session, issuer: RecordingIssuer) -> None:
    res = booking.load(session, _book(session))
    with pytest.raises(TooEarly):
        stays.check_in(session, res, issuer=issuer, now=AT_16 - timedelta(days=1))


def test_check_out_revokes_the_card_and_sends_the_room_to_housekeeping(
    session: Session, issuer: RecordingIssuer
) -> None:
    res = booking.load(session, _book(session))
    stays.check_in(session, res, issuer=issuer, now=AT_16)
    stays.check_out(session, res, now=datetime(2027, 3, 10, 8, 0, tzinfo=UTC))
    sent = _commands(session)
    assert [c.type for c in sent][-2:] == ["credential.revoke", "room.settings"]
    assert sent[-2].data["credential_id"] == sent[0].data["credential_id"]
    assert sent[-1].data["housekeeping"] == "dirty" and sent[-1].data["occupied"] is False
    with pytest.raises(WrongState):
        stays.check_out(session, res, now=datetime(2027, 3, 10, 8, 0, tzinfo=UTC))


def test_leaving_early_puts_the_unused_nights_back_on_sale(session: Session, issuer: RecordingIssuer) -> None:
    res = booking.load(session, _book(session, nights=4))
    stays.check_in(session, res, issuer=issuer, now=AT_16)
    stays.check_out(session, res, now=datetime(2027, 3, 9, 8, 0, tzinfo=UTC))  # after one night
    assert res.departure == date(2027, 3, 9) and res.total_minor == 9000
    sold = session.scalars(select(TypeInventory.sold).where(TypeInventory.night == date(2027, 3, 10))).all()
    assert sum(sold) == 0
    check_invariants(session)


def test_late_checkout_is_charged_by_the_hour_and_reissues_the_card(
    session: Session, issuer: RecordingIssuer
) -> None:
    res = booking.load(session, _book(session))
    stays.check_in(session, res, issuer=issuer, now=AT_16)
    stays.late_checkout(session, res, until=time(13), issuer=issuer, now=AT_16)
    assert res.late_checkout_fee_minor == 2 * 1500
    assert res.checkout_due_at == datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
    types = [c.type for c in _commands(session)]
    assert types.count("credential.upsert") == 2 and "credential.revoke" in types
    assert issuer.requests[-1].valid_until == res.checkout_due_at and issuer.requests[-1].sequence == 2
    assert (
        _verified(
            issuer, [c for c in _commands(session) if c.type == "credential.upsert"][-1].data["card"]
        ).valid_until
        == res.checkout_due_at
    )
    with pytest.raises(InvalidRequest):
        stays.late_checkout(session, res, until=time(18), issuer=issuer, now=AT_16)


def test_late_checkout_reissues_each_companions_card_too(session: Session, issuer: RecordingIssuer) -> None:
    res = booking.load(session, _book(session))
    stays.check_in(session, res, issuer=issuer, now=AT_16)
    room_id = _room(session, res.id).id
    for guest in (2, 2, 3):  # guest 2 has a copy
        credentials.add_card(session, issuer, res=res, room_id=room_id, guest=guest, now=AT_16, actor="desk")
    stays.late_checkout(session, res, until=time(13), issuer=issuer, now=AT_16)
    live = session.scalars(select(StayCredential).where(
        StayCredential.reservation_id == res.id, StayCredential.revoked_at.is_(None))).all()
    assert sorted(c.guest for c in live) == [1, 2, 3]  # one card per guest, the copies not repeated
    assert {c.sequence for c in live} == {2} and {c.valid_until for c in live} == {res.checkout_due_at}
    revoked = [c for c in _commands(session) if c.type == "credential.revoke"]
    assert len(revoked) == 4  # every card of the first sequence


def test_stays_are_checked_out_at_the_exact_hour(session: Session, issuer: RecordingIssuer) -> None:
    res = booking.load(session, _book(session))
    stays.check_in(session, res, issuer=issuer, now=AT_16)
    eleven = datetime(2027, 3, 10, 10, 0, tzinfo=UTC)
    assert stays.checkout_due(session, now=eleven - timedelta(seconds=1)) == []
    assert stays.checkout_due(session, now=eleven) == [res.id]
    assert res.status == "checked_out"


def test_checkout_hour_follows_the_clock_change(session: Session) -> None:
    res = booking.book(
        session,
        Booking(
            property="hotel",
            room_type="std",
            rate_plan="flex",
            arrival=date(2027, 3, 27),
            departure=date(2027, 3, 29),
            guest_name="DST",
        ),
        now=NOW,
    )
    assert res.checkout_due_at == datetime(2027, 3, 29, 9, 0, tzinfo=UTC)  # 11:00 CEST


def test_check_out_records_the_stay_on_the_guest_profile(session: Session, issuer: RecordingIssuer) -> None:
    guest = Guest(
        id=new_id(),
        site="hotel",
        tier="normal",
        stays_count=0,
        nights_count=0,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(guest)
    session.flush()
    res = booking.book(
        session,
        Booking(
            property="hotel",
            room_type="std",
            rate_plan="flex",
            arrival=ARRIVAL,
            departure=ARRIVAL + timedelta(days=2),
            guest_name="Known",
            guest_id=guest.id,
        ),
        now=NOW,
    )
    stays.check_in(session, res, issuer=issuer, now=AT_16)
    stays.check_out(
        session, res, now=datetime(2027, 3, 10, 9, 0, tzinfo=UTC), history=GuestHistory(GuestSettings())
    )
    recorded = session.scalars(select(GuestStay).where(GuestStay.reservation_id == res.id)).one()
    assert (recorded.nights, recorded.spend_minor, guest.stays_count) == (2, res.total_minor, 1)
