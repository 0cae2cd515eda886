"""The pure room state machine: unit cases and invariants over random signal sequences."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.access.decision import Decision, Reason
from edge.room_signals import (
    CardDecided,
    DndChanged,
    DoorContact,
    Egress,
    LockChanged,
    Motion,
    NodeDecided,
    NodeFaulted,
    NodeSilent,
    RemoteUnlocked,
    SettingsChanged,
    Signal,
    Tick,
)
from edge.room_state import Policy, Room, apply
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


def test_decided_taps_and_remote_unlocks_are_access_events_and_the_last_access() -> None:
    room, types = _run(
        Room(room="101"),
        CardDecided(Decision(False, Reason.EXPIRED), at=_at(0)),
        RemoteUnlocked(command_id="c1", at=_at(1), door="main"),
    )
    assert types == ["access.denied", "access.granted"]
    assert room.last_access is not None and room.last_access.credential_id == "c1"
    assert room.last_access.reason == "remote"


def test_access_events_carry_the_reason_kind_and_door_of_the_decision() -> None:
    refused = CardDecided(Decision(False, Reason.WRONG_DOOR), at=_at(0), door="d")
    step = apply(Room(room="101"), refused, POLICY)
    data = step.events[0].data.model_dump(mode="json", exclude_none=True)
    assert data == {"room": "101", "door": "d", "granted": False, "reason": "wrong_door"}
    remote = apply(Room(room="101"), RemoteUnlocked(command_id="cmd-9", at=_at(0)), POLICY)
    assert remote.events[0].data.model_dump(exclude_none=True) == {
        "room": "101", "granted": True, "reason": "remote", "credential_id": "cmd-9", "kind": "remote"}


def test_a_cut_off_node_s_own_decisions_are_node_local_access_events() -> None:
    room, types = _run(Room(room="101"), NodeDecided(granted=True, at=_at(0)),
                       NodeDecided(granted=False, at=_at(1)))
    assert types == ["access.granted", "access.denied"]
    assert room.last_access is not None and room.last_access.reason == "node-offline"
    step = apply(Room(room="101"), NodeDecided(granted=True, at=_at(0)), POLICY)
    assert step.events[0].data.model_dump(exclude_none=True) == {
        "room": "101", "granted": True, "reason": "node-allowlist", "kind": "node-local"}


def test_a_silent_node_is_a_node_offline_event_and_changes_no_state() -> None:
    room = Room(room="101")
    step = apply(room, NodeSilent(node=7, at=_at(0), door="101"), POLICY)
    assert step.room == room
    assert [(e.type, e.data.model_dump(exclude_none=True)) for e in step.events] == [
        ("node.offline", {"room": "101", "door": "101", "node": 7})]


# --- forced doors (floors whose doors open only when unlocked) -------------------------------

SUPERVISED = Policy(forced_window=timedelta(seconds=10))
GRANT = Decision(True, Reason.GRANTED)


def _s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _door_types(*signals: Signal, policy: Policy = SUPERVISED) -> list[str]:
    room, out = Room(room="101"), []
    for signal in (DoorContact(open=False, at=_s(0)), *signals):
        step = apply(room, signal, policy)
        room = step.room
        out += [e.type for e in step.events]
    return [t for t in out if t.startswith("door.")]


def test_first_report_of_an_open_door_is_not_called_forced() -> None:
    step = apply(Room(room="101"), DoorContact(open=True, at=_s(0)), SUPERVISED)
    assert [e.type for e in step.events] == ["door.opened"]


def test_opening_soon_after_a_grant_is_a_plain_opening() -> None:
    assert _door_types(CardDecided(GRANT, at=_s(100)), DoorContact(open=True, at=_s(104))) == [
        "door.closed", "door.opened"]
    assert "door.forced" not in _door_types(NodeDecided(granted=True, at=_s(100)),
                                            DoorContact(open=True, at=_s(99.5)))
    assert "door.forced" not in _door_types(RemoteUnlocked(command_id="u", at=_s(100)),
                                            DoorContact(open=True, at=_s(101)))


def test_opening_without_a_grant_is_forced_and_names_the_door() -> None:
    room = apply(Room(room="101"), DoorContact(open=False, at=_s(0)), SUPERVISED).room
    step = apply(room, DoorContact(open=True, at=_s(100), door="101"), SUPERVISED)
    assert [(e.type, e.data.model_dump(exclude_none=True)) for e in step.events] == [
        ("door.opened", {"room": "101"}), ("door.forced", {"room": "101", "door": "101"})]


def test_a_refusal_or_a_grant_too_long_ago_does_not_cover_the_opening() -> None:
    assert "door.forced" in _door_types(CardDecided(GRANT, at=_s(100)), DoorContact(open=True, at=_s(111)))
    assert "door.forced" in _door_types(CardDecided(GRANT, at=_s(100)),
                                        CardDecided(Decision(False, Reason.REVOKED), at=_s(150)),
                                        DoorContact(open=True, at=_s(151)))


def test_leaving_by_the_inside_handle_is_not_forced() -> None:
    assert _door_types(Egress(at=_s(100)), DoorContact(open=True, at=_s(102))) == [
        "door.closed", "door.opened"]
    assert "door.forced" in _door_types(Egress(at=_s(100)), DoorContact(open=True, at=_s(200)))


def test_lock_reports_show_on_the_room_and_change_nothing_else() -> None:
    room = Room(room="101")
    step = apply(room, LockChanged(locked=False, at=_s(1)), SUPERVISED)
    assert step.room.lock == "unlocked" and step.events == () and step.room.authorised_at is None
    assert apply(step.room, LockChanged(locked=True, at=_s(2)), SUPERVISED).room.snapshot().lock == "locked"


def test_a_node_fault_is_an_event_and_never_a_grant() -> None:
    step = apply(Room(room="101"), NodeFaulted(fault="card_torn", at=_s(1), node=3, door="101"), SUPERVISED)
    assert [(e.type, e.data.model_dump(exclude_none=True)) for e in step.events] == [
        ("node.fault", {"room": "101", "door": "101", "node": 3, "fault": "card_torn"})]
    assert step.room.authorised_at is None and step.room.last_access is None


def test_unsupervised_doors_are_never_forced() -> None:
    assert _door_types(DoorContact(open=True, at=_s(100)), policy=POLICY) == ["door.closed", "door.opened"]


def test_door_facts_older_than_the_last_change_change_nothing() -> None:
    room = apply(Room(room="101"), DoorContact(open=True, at=_s(10)), SUPERVISED).room
    step = apply(room, DoorContact(open=False, at=_s(9)), SUPERVISED)
    assert step.room == room and step.events == ()


def test_settings_leave_unnamed_fields_alone() -> None:
    room = Room(room="101", occupied=True, housekeeping="dirty")
    room, _ = _run(room, SettingsChanged(at=_at(0), housekeeping="clean"))
    assert room.occupied and room.housekeeping == "clean"


GRANT_AT_DOOR = Decision(True, Reason.GRANTED, "room 101")


def test_a_room_round_trips_through_its_stored_form() -> None:
    room, _ = _run(
        Room(room="101"),
        DoorContact(open=True, at=_at(0)),
        Motion(_at(1)),
        CardDecided(GRANT_AT_DOOR, at=_at(2), door="101"),
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
        st.builds(CardDecided, decision=st.sampled_from([GRANT, Decision(False, Reason.EXPIRED)]),
                  at=st.just(at)),
        st.builds(NodeDecided, granted=st.booleans(), at=st.just(at)),
        st.builds(RemoteUnlocked, command_id=st.just("u1"), at=st.just(at)),
        st.builds(NodeSilent, node=st.integers(1, 247), at=st.just(at)),
        st.builds(LockChanged, locked=st.booleans(), at=st.just(at)),
        st.builds(NodeFaulted, fault=st.sampled_from(["card_torn", "reader_silent", "lock_no_feedback"]),
                  at=st.just(at), node=st.integers(1, 126)),
        st.builds(Egress, at=st.just(at)),
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


@settings(max_examples=60, deadline=None)  # up to 60 signals each
@given(histories())
@pytest.mark.slow
def test_invariants_hold_over_any_history(signals: list[Signal]) -> None:
    room = Room(room="101")
    door_events: list[str] = []
    for signal in signals:
        before = room
        step = apply(room, signal, SUPERVISED)
        room = step.room
        for event in step.events:
            model = EVENT_MODELS[event.type]
            assert model.model_validate(event.data.model_dump(mode="json")) == event.data
            if event.type in ("door.opened", "door.closed"):
                door_events.append(event.type)
            if event.type == "room.vacated":
                assert before.door == "closed" and (before.occupied or before.checked_out)
                assert not room.occupied and not room.guest_present and room.housekeeping == "dirty"
            if event.type in ("door.ajar", "door.forced"):
                assert room.door == "open"
            if event.type == "door.forced":
                assert before.door == "closed" and step.events[0].type == "door.opened"
        if room.guest_present and not before.guest_present:
            assert isinstance(signal, Motion)
        RoomState.model_validate(room.snapshot().model_dump(mode="json"))
        assert Room.from_dict(room.to_dict()) == room
    for first, second in itertools.pairwise(door_events):
        assert first != second, "door.opened and door.closed alternate"
