"""The floor's rooms: each fact runs its room's state machine, and what it caused is kept.

A room's events and its new state are written to the store in one transaction; then the link is
woken to send the events and given the new snapshot when what it shows changed.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from edge.errors import UnknownRoom
from edge.room_signals import Signal, Tick
from edge.room_state import Policy, Room, apply
from edge.store import Store
from mqtt.messages import RoomState

log = logging.getLogger(__name__)
MOTION_SAVE_EVERY_S = 60.0


class FloorRooms:
    """The rooms of one floor, restored from the store."""

    def __init__(self, store: Store, *, rooms: Iterable[str], policy: Policy,
                 events_recorded: Callable[[], None], state_changed: Callable[[RoomState], None]) -> None:
        self._store = store
        self.policy = policy
        self._events_recorded = events_recorded
        self._state_changed = state_changed
        saved = store.rooms()
        self._rooms = {r: Room.from_dict(saved[r]) if r in saved else Room(room=r) for r in rooms}
        self._saved_at: dict[str, float] = {}

    def __contains__(self, room: object) -> bool:
        return room in self._rooms

    def __getitem__(self, room: str) -> Room:
        return self._rooms[room]

    def feed(self, room: str, signal: Signal) -> None:
        """Run the room's state machine; its events and new state are stored in one transaction
        (tried again once the disk reserve is released, if the disk was full)."""
        if room not in self._rooms:
            raise UnknownRoom(room)
        self._store.reserve.retry_when_full(lambda: self._feed(room, signal))

    def _feed(self, room: str, signal: Signal) -> None:
        before = self._rooms[room]
        try:
            self._step(room, signal)
        except sqlite3.Error:
            self._rooms[room] = before  # the transaction rolled back: so does the room
            raise

    def _step(self, room: str, signal: Signal) -> None:
        with self._store.transaction():
            before = self._rooms[room]
            step = apply(before, signal, self.policy)
            if step.room == before and not step.events:
                return
            for event in step.events:
                data = event.data.model_dump(mode="json", exclude_none=True)
                self._store.append_event(type=event.type, data=data, room=room, created=signal.at)
            self._rooms[room] = step.room
            if step.events or not self._motion_only(room, before, step.room):
                self._store.save_room(room, step.room.to_dict(), at=signal.at)
                self._saved_at[room] = time.monotonic()
        if step.events:
            self._events_recorded()
        if step.changed_from(before):
            self._state_changed(step.room.snapshot())

    def tick(self, now: datetime) -> None:
        """Let every room's timers run (ajar, absence, vacancy); one room's failure spares the rest."""
        for room in list(self._rooms):
            try:
                self.feed(room, Tick(at=now))
            except Exception:
                log.exception("room %s: tick failed", room)

    def snapshots(self) -> list[RoomState]:
        with self._store.locked():
            return [room.snapshot() for room in self._rooms.values()]

    def _motion_only(self, room: str, before: Room, after: Room) -> bool:
        """More motion in a room already known occupied: written at most once a minute (SD cards wear)."""
        same = replace(after, last_motion_at=before.last_motion_at, updated_at=before.updated_at) == before
        return same and time.monotonic() - self._saved_at.get(room, -1e9) < MOTION_SAVE_EVERY_S
