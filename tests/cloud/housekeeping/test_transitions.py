"""The pure rules of housekeeping actions: who may take which, from which state, to which."""

from __future__ import annotations

from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.auth.roles import Role
from cloud.housekeeping.transitions import (
    ACTIONS,
    ActionRefused,
    State,
    actions_for,
    decide,
    parse_action,
)
from mqtt.messages import RoomState

STATES = list(get_args(State))


def test_the_states_are_the_contracts() -> None:
    assert set(STATES) == set(get_args(RoomState.model_fields["housekeeping"].annotation))


@pytest.mark.parametrize(("action", "before", "after"), [
    ("start", "dirty", "in_progress"), ("clean", "dirty", "clean"), ("clean", "in_progress", "clean"),
    ("inspect", "clean", "inspected"),
])
def test_each_action_moves_a_room_on(action: str, before: str, after: str) -> None:
    change = decide(parse_action(action), role=Role.MANAGER, current=before, dnd=False)
    assert (change.before, change.after) == (before, after)


def test_do_not_disturb_stops_a_start_but_not_marking_clean() -> None:
    with pytest.raises(ActionRefused) as refused:
        decide("start", role=Role.HOUSEKEEPING, current="dirty", dnd=True)
    assert refused.value.reason == "dnd"
    assert decide("clean", role=Role.HOUSEKEEPING, current="dirty", dnd=True).after == "clean"


def test_roles() -> None:
    assert actions_for(Role.HOUSEKEEPING) == ["start", "clean"]
    assert actions_for(Role.MANAGER) == actions_for(Role.CHAIN_ADMIN) == ["start", "clean", "inspect"]
    assert actions_for(Role.FRONT_DESK) == actions_for(Role.MAINTENANCE) == []


@given(action=st.sampled_from(ACTIONS), role=st.sampled_from(list(Role)), current=st.sampled_from(STATES),
       dnd=st.booleans())
def test_an_allowed_change_never_touches_out_of_order_or_goes_backwards(
        action: str, role: Role, current: str, dnd: bool) -> None:
    try:
        change = decide(parse_action(action), role=role, current=current, dnd=dnd)
    except (PermissionError, ActionRefused):
        return
    assert current != "out_of_order" and change.after != "out_of_order"
    assert change.after != "dirty" and change.after != current


@given(st.text(max_size=50))
def test_any_other_form_value_is_refused(raw: str) -> None:
    if raw in ACTIONS:
        return
    with pytest.raises(ValueError, match="unknown housekeeping action"):
        parse_action(raw)
