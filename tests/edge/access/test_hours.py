"""Common areas and floor readers: the card's areas and lift floors, and guests kept to the hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from access_fixtures import SITE, T0, Desk, trusted
from hypothesis import given
from hypothesis import strategies as st

from edge.access.decision import Reason, decide
from edge.access.hours import OpeningHours
from edge.access.ports import AccessState
from edge.access.scope import Door
from mqtt.keycard import Area, Kind

MADRID = ZoneInfo("Europe/Madrid")
POOL = Door(site=SITE, floor=0, area=Area.POOL)
GYM = Door(site=SITE, floor=0, area=Area.GYM)
PARKING = Door(site=SITE, floor=0, area=Area.PARKING)
LANDING_3 = Door(site=SITE, floor=3)  # a floor reader at the lift landing of floor 3
LANDING_5 = Door(site=SITE, floor=5)


def at_local(hour: int, minute: int = 0) -> datetime:
    """T0's day at this Madrid wall-clock time, as UTC."""
    return datetime(2026, 10, 20, hour, minute, tzinfo=MADRID).astimezone(UTC)


def test_hours_parse_and_hold_across_midnight() -> None:
    day = OpeningHours.parse("07:00-22:00", MADRID)
    assert day.is_open(at_local(7)) and day.is_open(at_local(21, 59))
    assert not day.is_open(at_local(22)) and not day.is_open(at_local(6, 59))
    night = OpeningHours.parse("22:00-06:00", MADRID)
    assert night.is_open(at_local(23)) and night.is_open(at_local(5)) and not night.is_open(at_local(12))
    late = OpeningHours.parse("06:00-24:00", MADRID)
    assert late.is_open(at_local(23, 59)) and not late.is_open(at_local(0, 30))
    assert late.describe() == "06:00-24:00"


@pytest.mark.parametrize("text", ["7-22", "07:00", "25:00-26:00", "07:00-07:00", "24:30-01:00",
                                  "07:00-24:01", " ", "07:60-08:00"])
def test_malformed_hours_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        OpeningHours.parse(text, MADRID)


@given(st.integers(0, 23), st.integers(0, 59), st.integers(0, 23), st.integers(0, 59),
       st.integers(0, 24 * 60 - 1))
def test_a_range_and_its_complement_cover_the_day_once(h1: int, m1: int, h2: int, m2: int,
                                                       minute: int) -> None:
    if (h1, m1) == (h2, m2):
        return
    inside = OpeningHours.parse(f"{h1:02}:{m1:02}-{h2:02}:{m2:02}", MADRID)
    outside = OpeningHours.parse(f"{h2:02}:{m2:02}-{h1:02}:{m1:02}", MADRID)
    when = at_local(0) + timedelta(minutes=minute)
    assert inside.is_open(when) != outside.is_open(when)


def test_guest_card_opens_its_areas_only_while_they_are_open(desk: Desk, state: AccessState) -> None:
    card = desk.card(at=at_local(6))
    hours = OpeningHours.parse("07:00-22:00", MADRID)

    def reason(door: Door, when: datetime) -> Reason:
        return decide(card, door=door, time=trusted(when), state=state, hours=hours).reason

    assert reason(POOL, at_local(10)) is Reason.GRANTED
    assert reason(POOL, at_local(23)) is Reason.OUTSIDE_HOURS
    assert reason(PARKING, at_local(10)) is Reason.WRONG_DOOR  # no parking bit on this card


def test_staff_and_master_cards_open_areas_after_hours(desk: Desk, state: AccessState) -> None:
    hours = OpeningHours.parse("07:00-22:00", MADRID)
    staff = desk.card(at=at_local(6), kind=Kind.HOUSEKEEPING, guest=0, sequence=0, rooms=(),
                      areas=Area.POOL)
    master = desk.card(at=at_local(6), kind=Kind.MASTER, guest=0, sequence=0, rooms=(), floor=0xFF,
                       areas=Area(0), lift_floors=frozenset())
    for card in (staff, master):
        assert decide(card, door=POOL, time=trusted(at_local(23)), state=state,
                      hours=hours).reason is Reason.GRANTED


def test_floor_readers_follow_the_card_s_lift_floors(desk: Desk, state: AccessState) -> None:
    card = desk.card(at=T0)  # lift floors 0 and 3
    now = trusted(T0 + timedelta(hours=1))
    assert decide(card, door=LANDING_3, time=now, state=state).reason is Reason.GRANTED
    assert decide(card, door=LANDING_5, time=now, state=state).reason is Reason.WRONG_DOOR


def test_the_same_offline_rules_hold_at_an_area_door(desk: Desk, state: AccessState) -> None:
    hours = OpeningHours.parse("00:00-24:00", MADRID)
    card = desk.card(at=T0)
    late = trusted(T0 + timedelta(days=3))
    assert decide(card, door=GYM, time=late, state=state, hours=hours).reason is Reason.EXPIRED
    now = trusted(T0 + timedelta(hours=1))
    granted = decide(card, door=GYM, time=now, state=state, hours=hours)
    assert granted.granted and granted.credential_id is not None
    state.revoke(granted.credential_id, until=None, at=T0)
    assert decide(card, door=GYM, time=now, state=state, hours=hours).reason is Reason.REVOKED
