"""Hostile input at the gateway's two doors in: the door bus (a node, or whatever sits on the
RS-485 pair, answering polls with anything) and the MQTT command topic. Each run counts its
rejections; none may crash the gateway, and none may open a door."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.app import Gateway
from edge.config import load_config
from edge.hw.door_nodes import DoorNodes, NodeConfig, NodeFact
from edge.hw.serial_bus import SerialBus
from edge.sim import SimulatedDesk
from firmware.doornode import frame as fr
from mqtt.envelope import utcnow

NODE = 5
EXAMPLES = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TALLY: Counter[str] = Counter()


class Locks:
    """The floor's hardware as far as a remote unlock goes: it only counts."""

    watches_forced_entry = False

    def __init__(self) -> None:
        self.unlocks: list[str] = []

    def start(self, inputs: object) -> None: ...

    def unlock(self, *, room: str, door: str | None, seconds: int) -> None:
        self.unlocks.append(room)

    def stop(self) -> None: ...


@pytest.fixture(scope="module")
def floor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, SimulatedDesk, Locks]]:
    config = load_config(
        env={},
        overrides={
            "site": "hotel",
            "floor": "f1",
            "rooms": ["101", "102"],
            "data_dir": tmp_path_factory.mktemp("gw"),
            "site_number": 4,
            "floor_number": 1,
            "trust_system_clock": True,
        },
    )
    locks = Locks()
    gateway = Gateway(config, hardware=locks)
    desk = SimulatedDesk.load_or_create(gateway.store, site=4, floor=1)
    ack = gateway.command("key.upsert", desk.key_command())
    assert ack is not None and ack.ok
    yield gateway, desk, locks
    gateway.store.close()
    print(f"\nhostile input rejected: {dict(sorted(TALLY.items()))}")


# --- the door bus ---------------------------------------------------------------------------


class HostileLine:
    """The gateway's serial port; whatever sits on the line answers each command with the next
    scripted reply: raw bytes, or a frame (right CRC) whose fields the script chooses."""

    def __init__(self, replies: list[bytes | tuple[bool, bool, int, bytes]]) -> None:
        self._replies = list(replies)
        self._decoder = fr.Decoder()
        self._pending = b""
        self.written: list[fr.Frame] = []

    @property
    def in_waiting(self) -> int:
        return len(self._pending)

    def read(self, size: int = 1) -> bytes:
        chunk, self._pending = self._pending[:size], self._pending[size:]
        return chunk

    def write(self, data: bytes, /) -> int:
        for command in self._decoder.feed(data):
            self.written.append(command)
            if self._replies:
                self._pending += self._answer(command, self._replies.pop(0))
        return len(data)

    @staticmethod
    def _answer(command: fr.Frame, reply: bytes | tuple[bool, bool, int, bytes]) -> bytes:
        if isinstance(reply, bytes):
            return reply
        right_addr, right_seq, kind, payload = reply
        addr = command.addr if right_addr else (command.addr % fr.MAX_ADDR) + 1
        seq = command.seq if right_seq else (command.seq + 1) % 256
        return bytes(fr.encode(addr, seq, kind, payload, reply=True))


class StepClock:
    """Each reading is 10 ms later: a reply that never comes times out at once, without sleeping."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        self.t += 0.01
        return self.t


def card_events(genuine: list[bytes]) -> st.SearchStrategy[bytes]:
    """CARD event bodies: random cards, and genuine ones cut short, extended or with a bit flipped."""
    flipped = st.tuples(st.sampled_from(genuine), st.integers(0, 10_000)).map(
        lambda pair: _flip(pair[0], pair[1])
    )
    cut = st.tuples(st.sampled_from(genuine), st.integers(1, 200)).map(
        lambda pair: pair[0][: -pair[1]] or b"\0"
    )
    longer = st.tuples(st.sampled_from(genuine), st.binary(min_size=1, max_size=8)).map(lambda p: p[0] + p[1])
    card = st.one_of(st.binary(min_size=1, max_size=fr.MAX_CARD), flipped, cut, longer)
    return st.builds(
        lambda event, tap, card: fr.encode_event(event, fr.encode_card(tap, 0, 0, card)),
        st.integers(1, 0xFFFF),
        st.integers(0, 255),
        card,
    )


def _flip(card: bytes, bit: int) -> bytes:
    at = bit % (len(card) * 8)
    return card[: at // 8] + bytes([card[at // 8] ^ (1 << (at % 8))]) + card[at // 8 + 1 :]


def replies(genuine: list[bytes]) -> st.SearchStrategy[list[bytes | tuple[bool, bool, int, bytes]]]:
    payload = st.one_of(st.binary(max_size=fr.MAX_PAYLOAD), card_events(genuine))
    framed = st.tuples(
        st.booleans(), st.booleans(), st.sampled_from([*fr.REPLIES, *fr.COMMANDS, 0, 0xFF]), payload
    )
    right = st.tuples(st.just(True), st.just(True), st.just(fr.CARD), card_events(genuine))
    return st.lists(st.one_of(st.binary(max_size=64), framed, right), min_size=1, max_size=12)


def test_hostile_frames_on_the_door_bus_never_open_a_door(
    floor: tuple[Gateway, SimulatedDesk, Locks],
) -> None:
    gateway, desk, _ = floor
    now = gateway.now()
    genuine = [
        desk.issue("102", now=now),  # another room's card
        desk.issue("101", now=now - timedelta(days=5), days=1),
    ]  # this room's, expired
    facts: list[NodeFact] = []

    @EXAMPLES
    @given(script=replies(genuine))
    def run(script: list[bytes | tuple[bool, bool, int, bytes]]) -> None:
        line = HostileLine(script)
        bus = SerialBus(line, clock=StepClock())
        nodes = DoorNodes(
            bus,
            [NodeConfig(NODE, "room-101", "101")],
            emit=facts.append,
            now=gateway.now,
            decide=lambda card, door, at: gateway.access(card=card, room="101", door=None),
        )
        for _ in range(len(script)):
            nodes.poll_once()
        decisions = [fr.decode_decision(f.payload) for f in line.written if f.type == fr.DECISION]
        assert not [d for d in decisions if d[1]], "a hostile tap was granted"
        assert not [f for f in line.written if f.type == fr.UNLOCK]
        TALLY["bus: bad replies to POLL"] += nodes.rejected
        TALLY["bus: foreign, late or unexpected frames"] += bus.counters.stale
        TALLY["bus: frames that failed to decode"] += bus.decoder.errors()
        TALLY["bus: taps refused"] += len(decisions)

    run()
    assert TALLY["bus: taps refused"] > 0


# --- the command topic ----------------------------------------------------------------------

TOPIC = "posada/v1/hotel/f1/cmd"
COMMAND_TYPES = [
    "door.unlock",
    "room.settings",
    "credential.upsert",
    "credential.revoke",
    "key.upsert",
    "key.retire",
    "events.stored",
    "door.open",
    "",
    "x" * 300,
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
# An unlock that must not happen: a room not on this floor, a duration or a room of the wrong kind.
BAD_UNLOCK = st.one_of(
    st.fixed_dictionaries({"room": st.sampled_from(["103", "999", "../101", "101 ", "", "A101"])}),
    st.fixed_dictionaries(
        {"room": st.just("101"), "seconds": st.sampled_from([0, -5, 61, 10**9, "five", None, 2.5])}
    ),
    st.fixed_dictionaries({"room": st.sampled_from([101, ["101"], {"room": "101"}, None])}),
)


def envelopes() -> st.SearchStrategy[bytes]:
    def envelope(kind: str, data: object, ident: object, version: object) -> bytes:
        body = {
            "v": version,
            "id": ident,
            "type": kind,
            "ts": utcnow().isoformat(),
            "source": "cloud",
            "data": data,
        }
        return json.dumps(body).encode()

    ident = st.one_of(
        st.from_regex(r"[0-9A-Za-z]{8,26}", fullmatch=True), st.integers(), st.text(max_size=80)
    )
    data = st.one_of(JSON, BAD_UNLOCK)
    return st.builds(
        envelope, st.sampled_from(COMMAND_TYPES), data, ident, st.sampled_from([1, 1, 2, "1", None])
    )


def _never_an_unlock(kind: str) -> st.SearchStrategy[bytes]:
    """An unlock of this floor's room 101 is only hostile data: reject it unless it is one of BAD_UNLOCK's."""
    return st.builds(
        lambda d: json.dumps(
            {
                "v": 1,
                "id": "u" + str(abs(hash(str(d))))[:20],
                "type": kind,
                "ts": utcnow().isoformat(),
                "source": "cloud",
                "data": d,
            }
        ).encode(),
        BAD_UNLOCK,
    )


@EXAMPLES
@given(
    payloads=st.lists(
        st.one_of(
            st.binary(max_size=300),
            envelopes(),
            _never_an_unlock("door.unlock"),
            JSON.map(lambda v: json.dumps(v).encode()),
        ),
        min_size=1,
        max_size=8,
    ),
    topic=st.sampled_from([TOPIC, TOPIC, "posada/v1/hotel/f2/cmd", "posada/v1/hotel/f1/events", "#"]),
)
def test_hostile_commands_never_crash_or_unlock(
    floor: tuple[Gateway, SimulatedDesk, Locks], payloads: list[bytes], topic: str
) -> None:
    gateway, _, locks = floor
    before = gateway.inbox.rejections.total
    for payload in payloads:
        outcome = gateway.inbox.receive(topic, payload)
        if outcome.ack is not None and not outcome.ack.ok:
            TALLY["mqtt: commands refused with a reason"] += 1
    assert locks.unlocks == []
    TALLY["mqtt: messages rejected as unreadable or foreign"] += gateway.inbox.rejections.total - before


def test_the_same_line_grants_a_genuine_card(floor: tuple[Gateway, SimulatedDesk, Locks]) -> None:
    """The check above can see a grant: this room's current card is granted through the same path."""
    gateway, desk, _ = floor
    event = fr.encode_event(7, fr.encode_card(1, 0, 0, desk.issue("101", now=gateway.now())))
    line = HostileLine([(True, True, fr.CARD, event), (True, True, fr.ACK, b"")])
    nodes = DoorNodes(
        SerialBus(line, clock=StepClock()),
        [NodeConfig(NODE, "room-101", "101")],
        emit=print,
        now=gateway.now,
        decide=lambda card, door, at: gateway.access(card=card, room="101", door=None),
    )
    nodes.poll_once()
    assert [fr.decode_decision(f.payload)[1] for f in line.written if f.type == fr.DECISION] == [True]
