"""The pure room state machine: unit cases and invariants over random signal sequences."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.room_state import (
    AccessResult,
    DndChanged,
    DoorContact,
    LockChanged,
    Motion,
    Policy,
    Room,
    SettingsChanged,
    Signal,
    Tick,
    apply,
)
from mqtt.messages import EVENT_MODELS, RoomState

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
POLICY = Policy(
    vacancy_quiet=timedelta(minutes=15), absence_quiet=timedelta(minutes=30), ajar_after=timedelta(minutes=2)
)


def _run(room: Room, *signals: Signal) -> tuple[Room, list[str]]:
    types: list[str] = []
    for signal in signals:
        step = apply(room, signal, POLICY)
        room = step.room
        types += [e.type for e in step.events]
    return room, types


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_opening_and_closing_the_door_reports_how_long_it_was_open() -> None:
    room = Room(room="101")
    step1 = apply(room, DoorContact(open=True, at=_at(0)), POLICY)
    step2 = apply(step1.room, DoorContact(open=False, at=_at(0.5)), POLICY)
    assert [e.type for e in step1.events] == ["door.opened"]
    assert step2.events[0].type == "door.closed"
    assert step2.events[0].data.model_dump()["seconds_open"] == 30.0
    assert step2.room.door == "closed" and step2.room.updated_at == _at(0.5)


def test_a_door_left_open_is_reported_ajar_once() -> None:
    _room, types = _run(
        Room(room="101"),
        DoorContact(open=True, at=_at(0)),
        Tick(_at(1)),
        Tick(_at(2)),
        Tick(_at(3)),
        Tick(_at(10)),
    )
    assert types == ["door.opened", "door.ajar"]


def test_checkout_then_closed_door_and_no_motion_vacates_the_room() -> None:
    room = Room(room="101", occupied=True, guest_present=True, door="closed", door_changed_at=_at(-5))
    room, types = _run(room, SettingsChanged(at=_at(0), occupied=False), Tick(_at(9)))
    assert types == [] and room.checked_out
    room, types = _run(room, Tick(_at(10)))
    assert types == ["room.vacated"]
    assert (room.occupied, room.guest_present, room.housekeeping) == (False, False, "dirty")


def test_motion_after_checkout_postpones_vacancy() -> None:
    room = Room(room="101", occupied=True, door="closed", door_changed_at=_at(-60))
    room, types = _run(room, SettingsChanged(at=_at(0), occupied=False), Motion(_at(10)), Tick(_at(16)))
    assert "room.vacated" not in types
    room, types = _run(room, Tick(_at(25)))
    assert types == ["room.vacated"]


def test_the_checkout_hour_vacates_an_empty_room_and_not_an_open_one() -> None:
    room = Room(room="101", occupied=True, door="open", door_changed_at=_at(-1), ajar_reported=True)
    room, types = _run(room, SettingsChanged(at=_at(0), checkout_at=_at(30)), Tick(_at(60)))
    assert types == []
    room, types = _run(room, DoorContact(open=False, at=_at(61)), Tick(_at(75)), Tick(_at(77)))
    assert types == ["door.closed", "room.vacated"]
    assert apply(room, Tick(_at(200)), POLICY).events == ()


def test_motion_marks_the_guest_present_and_quiet_marks_them_away() -> None:
    room = Room(room="101", occupied=True, door="closed", door_changed_at=_at(0))
    room, types = _run(room, Motion(_at(1)), Motion(_at(2)), Tick(_at(20)), Tick(_at(33)))
    assert types == ["room.occupancy", "room.occupancy"]
    assert not room.guest_present and room.occupied


def test_access_results_are_events_and_the_last_access() -> None:
    room, types = _run(
        Room(room="101"),
        AccessResult(granted=False, reason="expired", at=_at(0)),
        AccessResult(granted=True, reason="ok", at=_at(1), credential_id="c1", kind="guest"),
    )
    assert types == ["access.denied", "access.granted"]
    assert room.last_access is not None and room.last_access.credential_id == "c1"


def test_settings_leave_unnamed_fields_alone() -> None:
    room = Room(room="101", occupied=True, housekeeping="dirty")
    room, _ = _run(room, SettingsChanged(at=_at(0), housekeeping="clean"))
    assert room.occupied and room.housekeeping == "clean"


def test_a_room_round_trips_through_its_stored_form() -> None:
    room, _ = _run(
        Room(room="101"),
        DoorContact(open=True, at=_at(0)),
        Motion(_at(1)),
        AccessResult(granted=True, reason="ok", at=_at(2)),
        SettingsChanged(at=_at(3), checkout_at=_at(9)),
    )
    assert Room.from_dict(room.to_dict()) == room


# --- invariants ------------------------------------------------------------------------------

housekeeping = st.sampled_from(["clean", "dirty", "inspected", "in_progress", "out_of_order"])


def _signal(minute: float) -> st.SearchStrategy[Signal]:
    at = _at(minute)
    return st.one_of(
        st.builds(DoorContact, open=st.booleans(), at=st.just(at)),
        st.just(Motion(at)),
        st.just(Tick(at)),
        st.builds(
            AccessResult, granted=st.booleans(), reason=st.sampled_from(["ok", "expired"]), at=st.just(at)
        ),
        st.builds(LockChanged, locked=st.booleans(), at=st.just(at)),
        st.builds(DndChanged, on=st.booleans(), at=st.just(at)),
        st.builds(
            SettingsChanged,
            at=st.just(at),
            occupied=st.none() | st.booleans(),
            housekeeping=st.none() | housekeeping,
            checkout_at=st.none() | st.just(at + timedelta(minutes=5)),
        ),
    )


@st.composite
def histories(draw: st.DrawFn) -> list[Signal]:
    gaps = draw(st.lists(st.floats(min_value=0, max_value=40), min_size=1, max_size=60))
    minute, out = 0.0, []
    for gap in gaps:
        minute += gap
        out.append(draw(_signal(minute)))
    return out


@settings(max_examples=150, deadline=None)
@given(histories())
def test_invariants_hold_over_any_history(signals: list[Signal]) -> None:
    room = Room(room="101")
    door_events: list[str] = []
    for signal in signals:
        before = room
        step = apply(room, signal, POLICY)
        room = step.room
        for event in step.events:
            model = EVENT_MODELS[event.type]
            assert model.model_validate(event.data.model_dump(mode="json")) == event.data
            if event.type in ("door.opened", "door.closed"):
                door_events.append(event.type)
            if event.type == "room.vacated":
                assert before.door == "closed" and (before.occupied or before.checked_out)
                assert not room.occupied and not room.guest_present and room.housekeeping == "dirty"
            if event.type == "door.ajar":
                assert room.door == "open"
        if room.guest_present and not before.guest_present:
            assert isinstance(signal, Motion)
        RoomState.model_validate(room.snapshot().model_dump(mode="json"))
        assert Room.from_dict(room.to_dict()) == room
    for first, second in itertools.pairwise(door_events):
        assert first != second, "door.opened and door.closed alternate"
