"""Door decisions: every refusal reason, in both state adapters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from access_fixtures import SITE, T0, Desk, State, trusted
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloud.keys.keyring import SigningKey
from edge.access.decision import Reason, decide
from edge.access.gate import admit
from edge.access.memory import MemoryAccessState
from edge.access.ports import AccessState, PublicKey
from edge.access.scope import Door
from edge.clock import TimeReading
from mqtt.keycard import ALL_FLOORS, Area, Kind

ROOM_301 = Door(site=SITE, floor=3, room=301)
NOW = T0 + timedelta(hours=1)


class FixedClock:
    def __init__(self, reading: TimeReading) -> None:
        self.reading = reading

    def read(self) -> TimeReading:
        return self.reading


def reason(data: bytes, state: AccessState, *, door: Door = ROOM_301,
           time: TimeReading | None = None) -> Reason:
    return decide(data, door=door, time=time or trusted(NOW), state=state).reason


def test_current_guest_card_opens_its_room(desk: Desk, state: AccessState) -> None:
    decision = decide(desk.card(), door=ROOM_301, time=trusted(NOW), state=state)
    assert decision.granted and decision.reason is Reason.GRANTED
    assert decision.credential_id == f"{desk.next_id:016x}"


def test_card_signed_by_another_key_with_the_same_id_is_forged(
        desk: Desk, state: AccessState) -> None:
    forger = Desk(key=SigningKey(1, Ed25519PrivateKey.generate(), T0 - timedelta(days=1)))
    assert reason(forger.card(), state) is Reason.BAD_SIGNATURE


def test_unknown_key_id_is_refused(desk: Desk, state: AccessState) -> None:
    other = Desk(key=SigningKey(9, Ed25519PrivateKey.generate(), T0 - timedelta(days=1)))
    assert reason(other.card(), state) is Reason.UNKNOWN_KEY


def test_card_for_another_room_floor_or_site_opens_wrong_door(
        desk: Desk, state: AccessState) -> None:
    card = desk.card()
    assert reason(card, state, door=Door(site=SITE, floor=3, room=302)) is Reason.WRONG_DOOR
    assert reason(card, state, door=Door(site=SITE, floor=4, room=301)) is Reason.WRONG_DOOR
    assert reason(card, state, door=Door(site=SITE + 1, floor=3, room=301)) is Reason.WRONG_DOOR
    assert reason(card, state, door=Door(site=SITE, floor=0, area=Area.SPA)) is Reason.WRONG_DOOR


def test_guest_card_opens_its_common_areas_and_lift_floors(
        desk: Desk, state: AccessState) -> None:
    card = desk.card()
    assert reason(card, state, door=Door(site=SITE, floor=0, area=Area.POOL)) is Reason.GRANTED
    assert reason(card, state, door=Door(site=SITE, floor=3)) is Reason.GRANTED
    assert reason(card, state, door=Door(site=SITE, floor=5)) is Reason.WRONG_DOOR


def test_staff_scopes(desk: Desk, state: AccessState) -> None:
    staff = dict(guest=0, sequence=0, rooms=(), areas=Area.STAFF)
    housekeeping = desk.card(kind=Kind.HOUSEKEEPING, floor=3, **staff)
    assert reason(housekeeping, state, door=Door(site=SITE, floor=3, room=399)) is Reason.GRANTED
    assert reason(housekeeping, state, door=Door(site=SITE, floor=4, room=401)) is \
        Reason.WRONG_DOOR
    maintenance = desk.card(kind=Kind.MAINTENANCE, floor=ALL_FLOORS, **staff)
    assert reason(maintenance, state, door=Door(site=SITE, floor=9, room=901)) is Reason.GRANTED
    master = desk.card(kind=Kind.MASTER, floor=ALL_FLOORS, **staff)
    assert reason(master, state, door=Door(site=SITE, floor=1, area=Area.SPA)) is Reason.GRANTED


def test_expired_and_not_yet_valid_cards_are_refused(desk: Desk, state: AccessState) -> None:
    card = desk.card()
    assert reason(card, state, time=trusted(T0 + timedelta(days=2))) is Reason.EXPIRED
    assert reason(card, state, time=trusted(T0 - timedelta(hours=1))) is Reason.NOT_YET_VALID
    # a card encoded a moment ago opens even if this clock lags by a minute
    assert reason(card, state, time=trusted(T0 - timedelta(minutes=1))) is Reason.GRANTED


def test_revoked_card_is_refused_even_as_an_exact_copy(desk: Desk, state: State) -> None:
    card = desk.card()
    copy = bytes(bytearray(card))
    assert reason(card, state) is Reason.GRANTED
    state.revoke(f"{desk.next_id:016x}", until=T0 + timedelta(days=2), at=NOW)
    assert reason(copy, state) is Reason.REVOKED


def test_newer_card_first_use_cancels_the_previous_guests_card(
        desk: Desk, state: AccessState) -> None:
    old = desk.card(sequence=4)
    new = desk.card(sequence=5, guest=1)
    new_copy_for_partner = desk.card(sequence=5, guest=2)
    clock = FixedClock(trusted(NOW))
    assert admit(old, door=ROOM_301, clock=clock, state=state).granted
    assert admit(new, door=ROOM_301, clock=clock, state=state).granted
    assert admit(old, door=ROOM_301, clock=clock, state=state).reason is Reason.SUPERSEDED
    assert admit(new_copy_for_partner, door=ROOM_301, clock=clock, state=state).granted
    # the old card also loses the pool once its room has a newer sequence
    pool = Door(site=SITE, floor=0, area=Area.POOL)
    assert admit(old, door=pool, clock=clock, state=state).reason is Reason.SUPERSEDED


def test_refused_card_does_not_cancel_older_ones(desk: Desk, state: AccessState) -> None:
    current = desk.card(sequence=4)
    future = desk.card(sequence=9, at=T0 + timedelta(days=1))
    clock = FixedClock(trusted(NOW))
    assert admit(future, door=ROOM_301, clock=clock, state=state).reason is Reason.NOT_YET_VALID
    assert admit(current, door=ROOM_301, clock=clock, state=state).granted


def test_retired_key_is_refused_only_after_its_retirement(desk: Desk, state: State) -> None:
    card = desk.card()
    state.put_key(PublicKey(desk.key.key_id, desk.key.public_bytes(), NOW + timedelta(hours=1)))
    assert reason(card, state) is Reason.GRANTED
    assert reason(card, state, time=trusted(NOW + timedelta(hours=1))) is Reason.RETIRED_KEY


def test_clockless_start_refuses_expired_and_admits_current_guests(desk: Desk) -> None:
    state = MemoryAccessState()
    state.put_key(desk.public)
    # clock-less: the best estimate is the proven lower bound (last trusted time + uptime)
    bound = T0 + timedelta(days=1)
    reading = TimeReading(at=bound, trusted=False, not_before=bound, offset_s=3e8)
    expired = desk.card(at=T0 - timedelta(days=3))
    assert reason(expired, state, time=reading) is Reason.EXPIRED
    current = desk.card(at=T0 + timedelta(hours=2))
    assert reason(current, state, time=reading) is Reason.GRANTED
    # checked in after the last trusted time was saved: the card's issue time proves now
    later = desk.card(at=T0 + timedelta(days=1, hours=5))
    assert reason(later, state, time=reading) is Reason.GRANTED
    assert reason(later, state, time=trusted(bound)) is Reason.NOT_YET_VALID


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bit=st.integers(min_value=0))
def test_any_single_bit_flip_is_refused(desk: Desk, state: AccessState, bit: int) -> None:
    card = desk.card(rooms=(301, 302))
    flipped = bytearray(card)
    index = bit % (len(card) * 8)
    flipped[index // 8] ^= 1 << (index % 8)
    assert not decide(bytes(flipped), door=ROOM_301, time=trusted(NOW), state=state).granted


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=160))
def test_random_bytes_never_open_a_door(state: AccessState, data: bytes) -> None:
    decision = decide(data, door=ROOM_301, time=trusted(NOW), state=state)
    assert not decision.granted
    assert decision.reason in {Reason.MALFORMED, Reason.UNKNOWN_KEY, Reason.BAD_SIGNATURE}


@pytest.mark.parametrize("cut", [0, 1, 41, 105, 107])
def test_truncated_and_oversize_cards_are_malformed(desk: Desk, state: AccessState,
                                                    cut: int) -> None:
    card = desk.card()
    assert reason(card[:cut], state) is Reason.MALFORMED
    assert reason(card + b"\0" * (cut + 1), state) is Reason.MALFORMED


def test_after_a_clockless_reboot_the_gate_refuses_expired_and_admits_current(
        desk: Desk) -> None:
    from datetime import UTC, datetime

    from edge.clock import MemoryTrustedTime, TrustedClock

    class Pi:  # booted without a battery clock: the wall clock says 1970
        def wall(self) -> datetime:
            return datetime(1970, 1, 1, 0, 5, tzinfo=UTC)

        def monotonic(self) -> float:
            return 42.0

    state = MemoryAccessState()
    state.put_key(desk.public)
    last_trusted = T0 + timedelta(days=1)
    clock = TrustedClock(system=Pi(), store=MemoryTrustedTime(last_trusted))
    expired = desk.card(at=T0 - timedelta(days=5))  # checked out four days ago
    current = desk.card(at=T0, sequence=2)  # in the room until T0 + 2 days
    checked_in_during_outage = desk.card(at=last_trusted + timedelta(hours=3), sequence=3,
                                         rooms=(302,))
    assert admit(expired, door=ROOM_301, clock=clock, state=state).reason is Reason.EXPIRED
    assert admit(current, door=ROOM_301, clock=clock, state=state).granted
    room_302 = Door(site=SITE, floor=3, room=302)
    assert admit(checked_in_during_outage, door=room_302, clock=clock, state=state).granted


def test_every_single_bit_flip_of_a_card_is_refused(desk: Desk) -> None:
    state = MemoryAccessState()
    state.put_key(desk.public)
    card = desk.card(rooms=(301, 302))
    assert decide(card, door=ROOM_301, time=trusted(NOW), state=state).granted
    for index in range(len(card) * 8):
        flipped = bytearray(card)
        flipped[index // 8] ^= 1 << (index % 8)
        decision = decide(bytes(flipped), door=ROOM_301, time=trusted(NOW), state=state)
        assert not decision.granted, f"bit {index} flipped still opens"
