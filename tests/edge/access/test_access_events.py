"""Decisions become access events of the MQTT contract."""

from __future__ import annotations

from datetime import timedelta

from access_fixtures import SITE, T0, Desk, State, trusted

from edge.access.decision import decide
from edge.access.events import access_event
from edge.access.scope import Door
from mqtt import decode, encode


def test_granted_and_denied_decisions_become_contract_events(desk: Desk, state: State) -> None:
    card = desk.card()
    granted = decide(card, door=Door(site=SITE, floor=3, room=301),
                     time=trusted(T0 + timedelta(hours=1)), state=state)
    type_, data = access_event(granted, room="301", door="main")
    assert type_ == "access.granted" and data.kind == "guest"
    assert data.credential_id == f"{desk.next_id:016x}"
    message = decode("posada/v1/h/f3/events", encode(type=type_, source="gw", data=data,
                                                      seq=1).to_json())
    assert message.data == data
    denied = decide(b"\x00" * 5, door=Door(site=SITE, floor=3, room=301),
                    time=trusted(T0), state=state)
    type_, data = access_event(denied, room="301")
    assert type_ == "access.denied" and data.reason == "malformed" and data.credential_id is None
