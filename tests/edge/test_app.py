"""The gateway wired with its store, rooms, keycard access and simulated doors (no broker needed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from edge.app import Gateway
from edge.config import load_config
from edge.errors import UnknownRoom
from edge.sim import SimulatedDoors
from mqtt.codec import encode
from mqtt.messages import CredentialRevoke, CredentialUpsert, Data, RemoteUnlock, RoomSettings

CMD = "posada/v1/hotel/f1/cmd"


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    config = load_config(
        env={},
        overrides={
            "site": "hotel",
            "floor": "f1",
            "rooms": ["101", "102"],
            "data_dir": tmp_path, "site_number": 9, "floor_number": 1,
            "unlock_s": 1,
        },
    )
    gw = Gateway(config, hardware=SimulatedDoors())
    assert gw.hardware is not None
    gw.hardware.start(gw)
    yield gw
    gw.hardware.stop()
    gw.store.close()


def _command(gw: Gateway, type_: str, data: Data) -> bool:
    outcome = gw.inbox.receive(CMD, encode(type=type_, source="cloud", data=data).to_json())
    assert outcome.ack is not None
    return outcome.ack.ok


def _types(gw: Gateway) -> list[str]:
    return [e.type for e in gw.store.after(0, limit=1000)]


def test_a_credential_without_a_card_is_refused(gateway: Gateway) -> None:
    assert not _command(
        gateway, "credential.upsert", CredentialUpsert(credential_id="c3", card="", rooms=["101"])
    )


def test_remote_unlock_opens_the_door_and_records_who_asked(gateway: Gateway) -> None:
    assert _command(gateway, "door.unlock", RemoteUnlock(room="102", seconds=3, reason="guest locked out"))
    assert isinstance(gateway.hardware, SimulatedDoors) and gateway.hardware.unlocks == [("102", None, 3)]
    event = gateway.store.after(0, limit=1)[0]
    assert (event.type, event.data["reason"], event.data["kind"]) == ("access.granted", "remote", "remote")
    assert not _command(gateway, "door.unlock", RemoteUnlock(room="555"))


def test_room_settings_change_the_room_and_survive_a_restart(gateway: Gateway, tmp_path: Path) -> None:
    assert _command(
        gateway, "room.settings", RoomSettings(room="101", occupied=True, housekeeping="inspected")
    )
    gateway.door_contact("101", open=True)
    config = gateway.config
    gateway.store.close()
    again = Gateway(config)
    assert again.room("101").occupied and again.room("101").door == "open"
    assert again.room("101").housekeeping == "inspected"
    again.store.close()


def test_recorded_events_are_checked_against_the_contract(gateway: Gateway) -> None:
    with pytest.raises(ValidationError):
        gateway.record("access.granted", {"room": "101"})
    assert gateway.store.pending_count() == 0
    entry = gateway.record("node.offline", {"room": "101", "node": 4})
    assert entry.seq == 1 and entry.room == "101"


def test_inputs_for_unknown_rooms_are_refused(gateway: Gateway) -> None:
    with pytest.raises(UnknownRoom):
        gateway.motion("999")
    assert _types(gateway) == []


def test_state_and_events_of_one_input_are_written_together(gateway: Gateway) -> None:
    gateway.door_contact("101", open=True)
    gateway.door_contact("101", open=True)  # no change, nothing written
    assert _types(gateway) == ["door.opened"]
    assert gateway.store.rooms()["101"]["door"] == "open"


def test_signed_keycards_open_their_room_until_revoked(tmp_path: Path) -> None:
    from edge.sim import SimulatedDesk
    from mqtt.keycard import parse_card

    config = load_config(env={}, overrides={"site": "hotel", "floor": "f1", "rooms": ["101", "102"],
                                            "data_dir": tmp_path, "site_number": 9, "floor_number": 1,
                                            "trust_system_clock": True})
    gw = Gateway(config)
    desk = SimulatedDesk.load_or_create(gw.store, site=9, floor=1)
    card = desk.issue("101", now=gw.now())
    assert gw.card_presented("101", card) is False  # the key is not installed yet
    ack = gw.command("key.upsert", desk.key_command())
    assert ack is not None and ack.ok
    assert gw.card_presented("101", card) is True
    assert gw.card_presented("102", card) is False
    newer = desk.issue("101", now=gw.now())
    assert gw.card_presented("101", newer) is True
    assert gw.card_presented("101", card) is False  # superseded by the newer card
    credential = parse_card(newer).card.credential_ref
    assert gw.command("credential.revoke", CredentialRevoke(credential_id=credential)).ok  # type: ignore[union-attr]
    assert gw.card_presented("101", newer) is False
    reasons = [e.data["reason"] for e in gw.store.after(0, limit=20)]
    assert reasons == ["unknown_key", "granted", "wrong_door", "granted", "superseded", "revoked"]
    assert gw.store.after(0, limit=20)[1].data["credential_id"] == parse_card(card).card.credential_ref
    gw.store.close()


def test_repeated_motion_is_not_written_every_time(gateway: Gateway) -> None:
    gateway.motion("101")
    first = gateway.store.rooms()["101"]["last_motion_at"]
    gateway.motion("101")
    assert gateway.room("101").last_motion_at is not None
    assert gateway.store.rooms()["101"]["last_motion_at"] == first  # in memory only, for a minute
    assert [e.type for e in gateway.store.after(0, limit=10)] == ["room.occupancy"]


def test_a_checked_out_room_left_quiet_is_vacated_and_turns_dirty(gateway: Gateway) -> None:
    from edge.room_signals import Tick

    assert _command(gateway, "room.settings", RoomSettings(room="102", occupied=True, housekeeping="clean"))
    gateway.door_contact("102", open=True)
    gateway.door_contact("102", open=False)
    assert _command(gateway, "room.settings", RoomSettings(room="102", occupied=False))
    quiet = timedelta(seconds=gateway.config.vacancy_quiet_s)
    gateway.feed("102", Tick(at=gateway.now() + quiet - timedelta(seconds=5)))
    assert "room.vacated" not in _types(gateway)
    gateway.feed("102", Tick(at=gateway.now() + quiet + timedelta(seconds=1)))
    vacated = [e for e in gateway.store.after(0, limit=20) if e.type == "room.vacated"]
    assert [e.data for e in vacated] == [{"room": "102", "reason": "checkout"}]
    assert gateway.room("102").housekeeping == "dirty" and not gateway.room("102").occupied


def test_the_command_line_describes_every_setting_and_refuses_bad_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from edge.main import main

    with pytest.raises(SystemExit) as shown:
        main(["--help"])
    assert shown.value.code == 0
    assert "POSADA_RESEND_AFTER_S" in capsys.readouterr().out
    bad = tmp_path / "bad.toml"
    bad.write_text('site = "Not A Slug"\nfloor = "f1"\nrooms = ["101"]\n')
    with pytest.raises(SystemExit) as refused:
        main(["--config", str(bad)])
    assert refused.value.code == 2
    assert "site" in capsys.readouterr().err
