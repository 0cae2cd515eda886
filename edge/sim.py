"""The simulated floor: door locks that open and relock, and guests who tap cards, come and go.

``SimulatedDoors`` is the ``DoorHardware`` twin; ``FloorSimulator`` plays the people, seeded, at a
configurable rate. The demo and the tests drive a gateway with them.
"""

from __future__ import annotations

import base64
import logging
import random
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from edge.ports import FloorInputs
from edge.store import Store
from mqtt.access_messages import KeyUpsert
from mqtt.keycard import ALL_FLOORS, NO_AREAS, Area, Card, Kind, assemble, encode_body

log = logging.getLogger(__name__)
TICK_S = 0.5  # the simulated floor looks at its rate at least this often


class SimulatedDoors:
    """Locks that unlock on command and relock after their time; reported back as lock changes."""

    watches_forced_entry = False  # the simulated guests walk out with no unlock

    def __init__(self) -> None:
        self._inputs: FloorInputs | None = None
        self._lock = threading.Lock()
        self._timers: dict[str, threading.Timer] = {}
        self.unlocks: list[tuple[str, str | None, int]] = []

    def start(self, inputs: FloorInputs) -> None:
        self._inputs = inputs

    def unlock(self, *, room: str, door: str | None, seconds: int) -> None:
        with self._lock:
            self.unlocks.append((room, door, seconds))
            old = self._timers.pop(room, None)
            if old is not None:
                old.cancel()
            timer = threading.Timer(seconds, self._relock, args=(room,))
            timer.daemon = True
            self._timers[room] = timer
        if self._inputs is not None:
            self._inputs.lock_changed(room, locked=False)
        timer.start()

    def is_unlocked(self, room: str) -> bool:
        with self._lock:
            return room in self._timers

    def _relock(self, room: str) -> None:
        with self._lock:
            self._timers.pop(room, None)
        if self._inputs is not None:
            self._inputs.lock_changed(room, locked=True)

    def stop(self) -> None:
        with self._lock:
            timers, self._timers = list(self._timers.values()), {}
        for timer in timers:
            timer.cancel()


class SimulatedDesk:
    """A front desk's keycard encoder for a floor without a cloud: its own Ed25519 key.

    The key and the card sequence live in the gateway's store so a restarted floor keeps
    issuing cards that are newer than the last ones.
    """

    KEY, SEQUENCE = "sim_desk_key", "sim_desk_sequence"

    def __init__(self, store: Store, *, key: Ed25519PrivateKey, key_id: int, site: int, floor: int) -> None:
        self._store, self._key, self.key_id = store, key, key_id
        self._site, self._floor = site, floor
        self._lock = threading.Lock()

    @classmethod
    def load_or_create(cls, store: Store, *, site: int, floor: int) -> SimulatedDesk:
        saved = store.meta(cls.KEY)
        if saved is None:
            saved = f"{secrets.randbelow(0xF000) + 0x1000}:{secrets.token_hex(32)}"
            store.set_meta(cls.KEY, saved)
        key_id, private = saved.split(":")
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private))
        return cls(store, key=key, key_id=int(key_id), site=site, floor=floor)

    def key_command(self) -> KeyUpsert:
        public = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return KeyUpsert(key_id=self.key_id, public_key=base64.urlsafe_b64encode(public).decode())

    def issue(self, room: str, *, now: datetime, days: int = 2, areas: Area = NO_AREAS,
              lift_floors: int = 0) -> bytes:
        """A guest card for ``room`` valid from now for ``days``, newer than any issued before."""
        with self._lock:
            sequence = int(self._store.meta(self.SEQUENCE) or "0") % 0xFFFE + 1
            self._store.set_meta(self.SEQUENCE, str(sequence))
        start = now.replace(microsecond=0)
        card = Card(kind=Kind.GUEST, key_id=self.key_id, credential_id=secrets.randbits(63), site=self._site,
                    issued_at=start, valid_from=start, valid_until=start + timedelta(days=days),
                    sequence=sequence, guest=1, floor=self._floor, rooms=(int(room),), areas=areas,
                    lift_floors=lift_floors)
        body = encode_body(card)
        return assemble(body, self._key.sign(body))

    def staff(self, *, now: datetime, days: int = 30, areas: Area = Area.STAFF) -> tuple[bytes, str]:
        """A staff card (no room, its area bits) and its credential id."""
        start = now.replace(microsecond=0)
        card = Card(kind=Kind.STAFF, key_id=self.key_id, credential_id=secrets.randbits(63), site=self._site,
                    issued_at=start, valid_from=start, valid_until=start + timedelta(days=days),
                    floor=ALL_FLOORS, areas=areas)
        body = encode_body(card)
        return assemble(body, self._key.sign(body)), card.credential_ref


@dataclass
class _Guest:
    card: bytes
    inside: bool = False
    dnd: bool = False


@dataclass
class FloorSimulator:
    """People on a floor. ``issue_card(room)`` is the desk's encoder: it returns a valid card."""

    inputs: FloorInputs
    doors: SimulatedDoors
    rooms: Sequence[str]
    issue_card: Callable[[str], bytes]
    rate: float = 1.0
    seed: int | None = None
    _rng: random.Random = field(init=False)
    _guests: dict[str, _Guest] = field(init=False, default_factory=dict)
    _stop: threading.Event = field(init=False, default_factory=threading.Event)
    _thread: threading.Thread | None = field(init=False, default=None)
    actions: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def step(self) -> str:
        """One thing happens on the floor; returns what, for logs and tests."""
        room = self._rng.choice(list(self.rooms))
        guest = self._guests.get(room)
        roll = self._rng.random()
        self.actions += 1
        if guest is None:  # a new guest checks in and goes up to the room
            guest = self._guests[room] = _Guest(card=self.issue_card(room))
            return self._enter(room, guest)
        if roll < 0.1:
            stranger = self._rng.randbytes(16) if roll < 0.05 else self._other_card(room)
            self.inputs.card_presented(room, stranger)
            return f"refused tap {room}"
        if roll < 0.5:
            return self._enter(room, guest) if not guest.inside else self._leave(room, guest)
        if guest.inside and roll < 0.55:
            guest.dnd = not guest.dnd
            self.inputs.dnd(room, on=guest.dnd)
            return f"do-not-disturb {'on' if guest.dnd else 'off'} {room}"
        if guest.inside:
            self.inputs.motion(room)
            return f"motion {room}"
        return f"quiet {room}"

    def _enter(self, room: str, guest: _Guest) -> str:
        self.inputs.card_presented(room, guest.card)
        if not self.doors.is_unlocked(room):
            return f"locked out {room}"
        self._walk_through(room)
        guest.inside = True
        self.inputs.motion(room)
        return f"enter {room}"

    def _leave(self, room: str, guest: _Guest) -> str:
        self._walk_through(room)
        guest.inside = False
        return f"leave {room}"

    def _walk_through(self, room: str) -> None:
        self.inputs.door_contact(room, open=True)
        self.inputs.door_contact(room, open=False)

    def _other_card(self, room: str) -> bytes:
        others = [g.card for r, g in self._guests.items() if r != room]
        return self._rng.choice(others) if others else self._rng.randbytes(16)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="floor-sim", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        """Steps at ``rate`` a second, read again at every tick: a rate may change as the day goes."""
        credit, last = 0.0, time.monotonic()
        while not self._stop.wait(min(TICK_S, max(0.0, (1.0 - credit) / self.rate))):
            now = time.monotonic()
            credit = min(credit + (now - last) * self.rate, self.rate + 1.0)  # catch up at most a second
            last = now
            while credit >= 1.0 and not self._stop.is_set():
                credit -= 1.0
                try:
                    self.step()
                except Exception:
                    log.exception("simulated floor step failed")
