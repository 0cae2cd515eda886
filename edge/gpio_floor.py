"""The ``DoorHardware`` of rooms wired straight to the gateway: a lock relay, a door contact and a
PIR on the Pi's GPIO, and a card reader on the Pi (libnfc), with no door node in between.

Chosen per room in the gateway's settings (``gpio_rooms``); rooms on the RS-485 bus keep their
door nodes (``BusFloor``) and ``MixedFloor`` runs both. A tap is decided, recorded and answered
by the gateway itself (``FloorInputs.card_presented``); the relay's release and relock are
reported as lock changes; a reader that cannot be opened, a torn or foreign card are
``node.fault`` events with no door node named. None of it ever opens a door.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from edge.hw.gpio import DoorContact, LockRelay, MotionDetector
from edge.hw.nfc import NfcReader, read_keycard
from edge.hw.nfc_errors import NfcError, TagError
from edge.ports import DoorHardware, FloorInputs

log = logging.getLogger(__name__)
REREAD_S = 0.7  # the same card seen again within this is the same tap (as on a door node)
FEEDBACK_S = 0.3  # the lock's monitor must follow the relay within this
REOPEN_S = 5.0  # a reader that cannot be opened is tried again this often
POLL_S = 0.3  # one wait for a tag; also how soon a stop is noticed


@dataclass(frozen=True, slots=True)
class GpioDoor:
    """One room's door on the Pi: BCM pin numbers, and the reader's libnfc connstring."""

    lock: int
    contact: int
    pir: int | None = None
    reader: str | None = None
    lock_active_high: bool = True
    lock_sense: int | None = None  # the lock's monitor switch, closed (low) while locked


OpenReader = Callable[[str], NfcReader]


def open_libnfc(connstring: str) -> NfcReader:
    from edge.hw.nfc import LibnfcReader  # loads libnfc only where a reader is wired

    return LibnfcReader(connstring)


class _Room:
    def __init__(self, room: str, door: GpioDoor, pin_factory: Any) -> None:
        self.room, self.door = room, door
        self.relay = LockRelay(door.lock, active_high=door.lock_active_high, pin_factory=pin_factory)
        self.generation = 0  # which unlock a relock timer belongs to
        self.devices: list[Any] = [self.relay]
        self.monitor: DoorContact | None = None  # released reads "open"


class GpioFloor:
    watches_forced_entry = True  # a relay-held door opens only once released

    def __init__(self, doors: Mapping[str, GpioDoor], *, pin_factory: Any = None,
                 open_reader: OpenReader = open_libnfc, reread_s: float = REREAD_S,
                 motion_pins: Mapping[str, int] | None = None) -> None:
        self._doors = dict(doors)
        self._motion_pins = dict(motion_pins or {})
        self._extra: list[Any] = []  # PIRs of rooms with no door wired here
        self._pin_factory, self._open_reader, self._reread_s = pin_factory, open_reader, reread_s
        self._rooms: dict[str, _Room] = {}
        self._inputs: FloorInputs | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._guard = threading.Lock()

    def start(self, inputs: FloorInputs) -> None:
        self._inputs = inputs
        for room, door in self._doors.items():
            state = _Room(room, door, self._pin_factory)
            self._rooms[room] = state
            contact = DoorContact(door.contact, on_change=self._contact(room), clock=inputs.now,
                                  pin_factory=self._pin_factory)
            state.devices.append(contact)
            inputs.door_contact(room, open=contact.is_open)  # as it is now, as a node reports at boot
            if door.pir is not None:
                state.devices.append(MotionDetector(door.pir, on_motion=self._motion(room), clock=inputs.now,
                                                    pin_factory=self._pin_factory))
            if door.lock_sense is not None:
                state.monitor = DoorContact(door.lock_sense, on_change=self._lock_moved(room),
                                            clock=inputs.now, pin_factory=self._pin_factory)
                state.devices.append(state.monitor)
            inputs.lock_changed(room, locked=state.monitor is None or not state.monitor.is_open)
            if door.reader is not None:
                thread = threading.Thread(target=self._read_cards, args=(room, door.reader),
                                          name=f"reader-{room}", daemon=True)
                self._threads.append(thread)
                thread.start()
        for room, pin in self._motion_pins.items():
            self._extra.append(MotionDetector(pin, on_motion=self._motion(room), clock=inputs.now,
                                              pin_factory=self._pin_factory))

    def unlock(self, *, room: str, door: str | None, seconds: int) -> None:
        state = self._rooms[room]
        with self._guard:
            state.generation += 1
            generation = state.generation
            state.relay.unlock(seconds)
        assert self._inputs is not None
        if state.monitor is None:
            self._inputs.lock_changed(room, locked=False)  # no monitor: the relay's word
        else:
            self._later(FEEDBACK_S, self._confirm, state, generation)
        self._later(seconds, self._relocked, state, generation)

    @staticmethod
    def _later(seconds: float, action: Callable[..., None], *args: Any) -> None:
        timer = threading.Timer(seconds, action, args=args)
        timer.daemon = True
        timer.start()

    def _confirm(self, state: _Room, generation: int) -> None:
        """A release the lock's monitor never showed is withdrawn and reported: never an unlock."""
        with self._guard:
            if generation != state.generation or state.monitor is None or state.monitor.is_open:
                return
            state.generation += 1  # this unlock's relock timer has nothing left to do
            state.relay.lock()
        log.error("room %s: the lock did not follow its relay", state.room)
        if self._inputs is not None:
            self._inputs.node_fault(state.room, fault="lock_no_feedback")

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)
        for state in self._rooms.values():
            for device in state.devices:
                device.close()
        for device in self._extra:
            device.close()
        self._rooms.clear()
        self._extra.clear()

    def _relocked(self, state: _Room, generation: int) -> None:
        with self._guard:
            if generation != state.generation or self._stop.is_set():
                return  # unlocked again since: that unlock's timer reports
            state.relay.lock()
        if self._inputs is not None and state.monitor is None:
            self._inputs.lock_changed(state.room, locked=True)

    def _contact(self, room: str) -> Callable[[bool, datetime], None]:
        def changed(is_open: bool, at: datetime) -> None:
            if self._inputs is not None:
                self._inputs.door_contact(room, open=is_open, at=at)
        return changed

    def _lock_moved(self, room: str) -> Callable[[bool, datetime], None]:
        def moved(released: bool, at: datetime) -> None:
            if self._inputs is not None:
                self._inputs.lock_changed(room, locked=not released, at=at)
        return moved

    def _motion(self, room: str) -> Callable[[bool, datetime], None]:
        def seen(active: bool, _at: datetime) -> None:
            if active and self._inputs is not None:
                self._inputs.motion(room)
        return seen

    def _read_cards(self, room: str, connstring: str) -> None:
        """Wait for cards at the room's reader until stopped; reopen a reader that fails."""
        assert self._inputs is not None
        inputs, reader, silent = self._inputs, None, False
        last: tuple[bytes, float] | None = None
        while not self._stop.is_set():
            if reader is None:
                try:
                    reader = self._open_reader(connstring)
                except NfcError as exc:
                    if not silent:
                        log.error("room %s: card reader %s: %s", room, connstring, exc)
                        inputs.node_fault(room, fault="reader_silent")
                        silent = True
                    self._stop.wait(REOPEN_S)
                    continue
                if silent:
                    inputs.node_fault(room, fault="reader_back")
                    silent = False
            try:
                got = read_keycard(reader, timeout_s=POLL_S)
            except TagError as exc:
                inputs.node_fault(room, fault="card_torn" if exc.reason == "io" else "card_unreadable")
                self._stop.wait(self._reread_s)
                continue
            except NfcError as exc:
                log.error("room %s: card reader failed: %s; reopening", room, exc)
                reader.close()
                reader = None
                continue
            if got is None:
                continue
            card, now = got[1], time.monotonic()
            if last is not None and last[0] == card and now - last[1] < self._reread_s:
                last = (card, now)
                continue
            last = (card, now)
            inputs.card_presented(room, card)
        if reader is not None:
            reader.close()


class MixedFloor:
    """Door nodes on the bus for some rooms, GPIO doors for others: unlocks go to the room's part."""

    watches_forced_entry = True

    def __init__(self, parts: Sequence[tuple[DoorHardware, Sequence[str]]]) -> None:
        self._parts = [part for part, _rooms in parts]
        self._by_room = {room: part for part, rooms in parts for room in rooms}

    def start(self, inputs: FloorInputs) -> None:
        for part in self._parts:
            part.start(inputs)

    def unlock(self, *, room: str, door: str | None, seconds: int) -> None:
        self._by_room[room].unlock(room=room, door=door, seconds=seconds)

    def stop(self) -> None:
        for part in self._parts:
            part.stop()
