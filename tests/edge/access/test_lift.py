"""The in-lift panel: a card selects the lift floors it carries, judged once by the door rules."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from access_fixtures import SITE, T0, Desk, trusted
from hypothesis import given
from hypothesis import strategies as st

from edge.access.decision import Reason
from edge.access.hours import OpeningHours
from edge.access.lift import choose_floors
from edge.access.ports import AccessState
from mqtt.keycard import Kind

pytestmark = pytest.mark.unit
SERVED = frozenset(range(0, 8))  # lobby and seven floors


def _choose(card: bytes, state: AccessState, *, at: object = None, **kw: object):  # type: ignore[no-untyped-def]
    when = T0 + timedelta(hours=1) if at is None else at
    return choose_floors(card, site=SITE, served=SERVED, time=trusted(when), state=state, **kw)  # type: ignore[arg-type]


def test_a_guest_selects_the_floors_on_the_card_and_no_other(desk: Desk, state: AccessState) -> None:
    choice = _choose(desk.card(lift_floors=frozenset({0, 3})), state)
    assert choice.decision.granted and choice.floors == {0, 3}


def test_floors_the_lift_does_not_serve_are_not_offered(desk: Desk, state: AccessState) -> None:
    choice = _choose(desk.card(lift_floors=frozenset({3, 12})), state)
    assert choice.floors == {3}


def test_master_and_emergency_cards_select_every_floor(desk: Desk, state: AccessState) -> None:
    for kind in (Kind.MASTER, Kind.EMERGENCY):
        choice = _choose(
            desk.card(kind=kind, rooms=(), lift_floors=frozenset(), guest=0, sequence=0, floor=0xFF, areas=0),
            state,
        )
        assert choice.decision.granted and choice.floors == SERVED


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"lift_floors": frozenset({20})}, Reason.WRONG_DOOR),  # no floor of this lift
        ({"site": SITE + 1}, Reason.WRONG_DOOR),
        ({"valid_until": T0 + timedelta(minutes=30)}, Reason.EXPIRED),
    ],
)
def test_a_refused_card_selects_nothing(
    desk: Desk, state: AccessState, changes: dict[str, object], reason: Reason
) -> None:
    choice = _choose(desk.card(**changes), state)
    assert not choice.decision.granted and choice.decision.reason is reason and choice.floors == frozenset()


def test_a_revoked_a_forged_and_a_superseded_card_select_nothing(desk: Desk, state: AccessState) -> None:
    revoked = desk.card(rooms=(302,))
    credential = _choose(revoked, state).decision.credential_id
    assert credential is not None
    state.revoke(credential, until=None, at=T0)
    assert _choose(revoked, state).floors == frozenset()
    forged = bytearray(desk.card())
    forged[-1] ^= 0x01
    assert _choose(bytes(forged), state).decision.reason is Reason.BAD_SIGNATURE
    newer = desk.card(sequence=2)
    assert _choose(newer, state).floors == {0, 3}  # its first use cancels sequence 1
    older = desk.card(sequence=1)
    choice = _choose(older, state)
    assert choice.decision.reason is Reason.SUPERSEDED and choice.floors == frozenset()


def test_a_guest_outside_the_lift_s_hours_selects_nothing(desk: Desk, state: AccessState) -> None:
    hours = OpeningHours.parse("07:00-22:00", ZoneInfo("UTC"))
    late = T0.replace(hour=23)
    card = desk.card(at=T0)
    choice = _choose(card, state, at=late, hours=hours)
    assert choice.decision.reason is Reason.OUTSIDE_HOURS and choice.floors == frozenset()


@given(st.binary(max_size=300))
def test_no_garbage_selects_a_floor(data: bytes) -> None:
    from edge.access.memory import MemoryAccessState

    choice = _choose(data, MemoryAccessState())
    assert not choice.decision.granted and choice.floors == frozenset()
