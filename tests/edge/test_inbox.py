"""Commands from the cloud: idempotent by id, refused with a reason, garbage counted."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.errors import CommandRejected
from edge.inbox import CommandInbox, salvage_id
from edge.store import Store
from mqtt.codec import encode
from mqtt.envelope import Envelope, utcnow
from mqtt.messages import Data, EventsStored, RoomSettings

TOPIC = "posada/v1/hotel/f1/cmd"


class Recorder:
    def __init__(self) -> None:
        self.applied: list[str] = []

    def __call__(self, envelope: Envelope, data: Data) -> None:
        if isinstance(data, RoomSettings) and data.room == "999":
            raise CommandRejected("unknown room '999'")
        self.applied.append(envelope.id)


def _inbox(tmp_path: Path) -> tuple[CommandInbox, Recorder, Store]:
    store = Store(tmp_path / "gw.db")
    recorder = Recorder()
    return CommandInbox(store=store, handler=recorder, now=utcnow, topic=TOPIC), recorder, store


def _payload(type_: str, data: Data, id: str | None = None) -> bytes:
    return encode(type=type_, source="cloud", data=data, id=id).to_json()


def test_a_command_is_applied_once_and_acked_every_time(tmp_path: Path) -> None:
    inbox, recorder, _ = _inbox(tmp_path)
    payload = _payload("room.settings", RoomSettings(room="101", occupied=True), id="cmd-1")
    first, second = inbox.receive(TOPIC, payload), inbox.receive(TOPIC, payload)
    assert recorder.applied == ["cmd-1"]
    assert first.ack == second.ack
    assert first.ack is not None and first.ack.ok and first.ack.command_id == "cmd-1"


def test_a_refused_command_keeps_its_answer_when_redelivered(tmp_path: Path) -> None:
    inbox, recorder, _ = _inbox(tmp_path)
    payload = _payload("room.settings", RoomSettings(room="999"), id="cmd-2")
    first, again = inbox.receive(TOPIC, payload), inbox.receive(TOPIC, payload)
    assert first.ack is not None and not first.ack.ok and "999" in first.ack.error
    assert again.ack == first.ack and recorder.applied == []


def test_events_stored_forgets_events_and_needs_no_ack(tmp_path: Path) -> None:
    inbox, _, store = _inbox(tmp_path)
    for _ in range(4):
        store.append_event(type="tamper", data={}, room=None, created=utcnow())
    store.mark_sent([1, 2, 3, 4], at=0.0)
    outcome = inbox.receive(TOPIC, _payload("events.stored", EventsStored(up_to_seq=3)))
    assert outcome.ack is None and outcome.confirmed == 3
    assert store.pending_count() == 1


def test_unknown_command_types_are_refused_with_their_id(tmp_path: Path) -> None:
    inbox, _, _ = _inbox(tmp_path)
    outcome = inbox.receive(TOPIC, b'{"v":1,"id":"x1","type":"coffee.make","source":"c"}')
    assert outcome.ack is not None and outcome.ack.command_id == "x1" and not outcome.ack.ok
    assert inbox.rejections.snapshot() == {"refused": 1}


def test_invalid_data_is_refused_and_counted(tmp_path: Path) -> None:
    inbox, _, _ = _inbox(tmp_path)
    outcome = inbox.receive(TOPIC, b'{"v":1,"id":"x2","type":"door.unlock","source":"c","data":{"room":"1",'
                                   b'"seconds":9999}}')
    assert outcome.ack is not None and not outcome.ack.ok and "seconds" in outcome.ack.error
    assert inbox.rejections.snapshot() == {"data": 1}


def test_salvage_reads_only_a_well_formed_id() -> None:
    assert salvage_id(b'{"id": "abc-1", "v": 7}') == "abc-1"
    assert salvage_id(b'{"id": "has space"}') is None
    assert salvage_id(b'{"id": 5}') is None
    assert salvage_id(b"\xff\xfe") is None
    assert salvage_id(b"[" * 100_000) is None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000) | st.text(max_size=500).map(str.encode)
       | st.dictionaries(st.text(max_size=8), st.none() | st.integers() | st.text(max_size=20)).map(
           lambda d: __import__("json").dumps({"v": 1, **d}).encode()))
def test_any_payload_is_answered_or_counted_never_raised(tmp_path: Path, payload: bytes) -> None:
    inbox, recorder, _ = _inbox(tmp_path)
    outcome = inbox.receive(TOPIC, payload)
    assert inbox.rejections.total == 1  # random input is never a valid command
    assert recorder.applied == []
    assert outcome.ack is None or not outcome.ack.ok


def test_a_command_without_an_id_is_refused(tmp_path: Path) -> None:
    inbox, recorder, _ = _inbox(tmp_path)
    outcome = inbox.receive(TOPIC, b'{"v":1,"type":"room.settings","source":"c","data":{"room":"101"}}')
    assert outcome.ack is None and recorder.applied == []
    assert inbox.rejections.snapshot() == {"envelope": 1}


def test_messages_on_other_topics_are_ignored_and_counted(tmp_path: Path) -> None:
    inbox, recorder, _ = _inbox(tmp_path)
    status = b'{"v":1,"id":"s1","type":"gateway.status","source":"gw.hotel.f1","data":{"state":"online"}}'
    outcome = inbox.receive("posada/v1/hotel/f1/status", status)
    other_floor = _payload("room.settings", RoomSettings(room="101"), id="c9")
    assert inbox.receive("posada/v1/hotel/f2/cmd", other_floor).ack is None
    assert outcome.ack is None and recorder.applied == []
    assert inbox.rejections.snapshot() == {"topic": 2}
