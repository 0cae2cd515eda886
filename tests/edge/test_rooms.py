"""The floor's rooms over a real store: one fact, one transaction of events and state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge.errors import UnknownRoom
from edge.room_signals import DoorContact, NodeSilent
from edge.room_state import Policy
from edge.rooms import FloorRooms
from edge.store import Store
from mqtt.messages import RoomState

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Link:
    def __init__(self) -> None:
        self.wakes = 0
        self.states: list[RoomState] = []

    def wake(self) -> None:
        self.wakes += 1


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    db = Store(tmp_path / "gw.db")
    yield db
    db.close()


def _rooms(store: Store, link: Link) -> FloorRooms:
    return FloorRooms(store, rooms=["101", "102"], policy=Policy(), events_recorded=link.wake,
                      state_changed=link.states.append)


def test_a_fact_s_events_and_the_room_s_new_state_are_kept_and_announced(store: Store) -> None:
    link = Link()
    rooms = _rooms(store, link)
    rooms.feed("101", DoorContact(open=True, at=T0))
    assert [e.type for e in store.after(0, limit=10)] == ["door.opened"]
    assert store.rooms()["101"]["door"] == "open"
    assert link.wakes == 1 and [s.door for s in link.states] == ["open"]
    assert _rooms(store, Link())["101"].door == "open"  # restored from the store


def test_an_event_that_changes_no_state_is_still_recorded(store: Store) -> None:
    link = Link()
    rooms = _rooms(store, link)
    rooms.feed("102", NodeSilent(node=4, at=T0, door="102"))
    assert [(e.type, e.data) for e in store.after(0, limit=10)] == [
        ("node.offline", {"room": "102", "door": "102", "node": 4})]
    assert link.wakes == 1 and link.states == []


def test_ticks_run_every_room_s_timers(store: Store) -> None:
    rooms = _rooms(store, Link())
    rooms.feed("101", DoorContact(open=True, at=T0))
    rooms.tick(T0 + timedelta(minutes=3))
    assert [e.type for e in store.after(0, limit=10)] == ["door.opened", "door.ajar"]


def test_facts_for_rooms_not_on_this_floor_are_refused(store: Store) -> None:
    with pytest.raises(UnknownRoom):
        _rooms(store, Link()).feed("999", DoorContact(open=True, at=T0))
