"""Access commands from the cloud: applied once per id, validated, all or nothing."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import pytest
import sqlite_utils
from access_fixtures import SITE, T0, Desk, State, trusted
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cloud.keys.keyring import SigningKey
from edge.access.commands import apply_command
from edge.access.decision import Reason, decide
from edge.access.memory import MemoryAccessState
from edge.access.scope import Door
from edge.access.store import SqliteAccessState
from mqtt import decode, encode
from mqtt.access_messages import KeyRetire, KeyUpsert
from mqtt.messages import CredentialRevoke, CredentialUpsert, Data

NOW = T0 + timedelta(hours=1)
ROOM = Door(site=SITE, floor=3, room=301)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def run(state: State, command_id: str, type_: str, data: Data):  # type: ignore[no-untyped-def]
    return apply_command(command_id, type_, data=data, state=state, now=NOW)


def test_key_commands_round_trip_through_the_mqtt_contract() -> None:
    env = encode(type="key.upsert", source="cloud",
                 data=KeyUpsert(key_id=3, public_key=b64(b"\1" * 32)))
    message = decode("posada/v1/h/f3/cmd", env.to_json())
    assert message.data == KeyUpsert(key_id=3, public_key=b64(b"\1" * 32))


def test_credential_upsert_cancels_older_cards_at_once(desk: Desk, state: State) -> None:
    old = desk.card(sequence=1)
    new = desk.card(sequence=2)
    data = CredentialUpsert(credential_id=f"{desk.next_id:016x}", card=b64(new))
    assert run(state, "c1", "credential.upsert", data).ok
    assert decide(old, door=ROOM, time=trusted(NOW), state=state).reason is Reason.SUPERSEDED


def test_repeated_command_id_changes_nothing_and_repeats_the_outcome(
        desk: Desk, state: State) -> None:
    revoke = CredentialRevoke(credential_id="00000000000003e9")
    assert run(state, "c1", "credential.revoke", revoke).ok
    again = run(state, "c1", "credential.revoke", revoke)
    assert again.ok and again.duplicate
    bad = KeyRetire(key_id=99, at=NOW)
    first = run(state, "c2", "key.retire", bad)
    assert not first.ok and "unknown_key" in first.error
    assert run(state, "c2", "key.retire", bad).error == first.error


def test_revocation_then_copy_of_card_is_refused(desk: Desk, state: State) -> None:
    card = desk.card()
    run(state, "r1", "credential.revoke",
        CredentialRevoke(credential_id=f"{desk.next_id:016x}", until=T0 + timedelta(days=2)))
    assert decide(bytes(card), door=ROOM, time=trusted(NOW), state=state).reason is Reason.REVOKED


def test_upsert_of_forged_or_mismatched_card_is_rejected_without_change(
        desk: Desk, state: State) -> None:
    forger = Desk(key=SigningKey(1, Ed25519PrivateKey.generate(), T0 - timedelta(days=1)))
    forged = forger.card(sequence=60)
    out = run(state, "u1", "credential.upsert",
              CredentialUpsert(credential_id=f"{forger.next_id:016x}", card=b64(forged)))
    assert not out.ok and "bad_signature" in out.error
    assert state.highest_sequence([301]) == 0
    real = desk.card(sequence=2)
    out = run(state, "u2", "credential.upsert", CredentialUpsert(credential_id="0" * 16,
                                                                   card=b64(real)))
    assert not out.ok and "credential_id" in out.error
    for bad_card in ("", "!!!!", b64(real[:50])):
        out = run(state, f"u-{bad_card[:3]}", "credential.upsert",
                  CredentialUpsert(credential_id="0" * 16, card=bad_card))
        assert not out.ok


def test_key_rotation_commands(desk: Desk, state: State) -> None:
    new = SigningKey(2, Ed25519PrivateKey.generate(), T0)
    assert run(state, "k1", "key.upsert",
               KeyUpsert(key_id=2, public_key=b64(new.public_bytes()))).ok
    assert run(state, "k2", "key.retire", KeyRetire(key_id=1, at=NOW)).ok
    old_card = desk.card()
    assert decide(old_card, door=ROOM, time=trusted(NOW), state=state).reason is \
        Reason.RETIRED_KEY
    new_card = Desk(key=new).card()
    assert decide(new_card, door=ROOM, time=trusted(NOW), state=state).granted
    clash = run(state, "k3", "key.upsert", KeyUpsert(key_id=2, public_key=b64(b"\2" * 32)))
    assert not clash.ok and "key_conflict" in clash.error


def test_storage_failure_leaves_no_partial_state(tmp_path: Path, desk: Desk) -> None:
    for state in (MemoryAccessState(), SqliteAccessState(sqlite_utils.Database(tmp_path / "a"))):
        state.put_key(desk.public)

        def broken(*args: object, **kwargs: object) -> None:
            raise OSError("disk full")

        state.record_applied = broken  # type: ignore[method-assign]
        card = desk.card(sequence=3)
        with pytest.raises(OSError):
            run(state, "x1", "credential.upsert",
                CredentialUpsert(credential_id=f"{desk.next_id:016x}", card=b64(card)))
        assert state.highest_sequence([301]) == 0
        assert state.applied("x1") is None


def test_revocations_persist_and_expired_ones_are_purged(tmp_path: Path) -> None:
    path = tmp_path / "gw.db"
    state = SqliteAccessState(sqlite_utils.Database(path))
    run(state, "r1", "credential.revoke", CredentialRevoke(credential_id="a" * 16, until=NOW))
    run(state, "r2", "credential.revoke", CredentialRevoke(credential_id="b" * 16))
    state.db.close()
    reopened = SqliteAccessState(sqlite_utils.Database(path))
    assert reopened.is_revoked("a" * 16) and reopened.is_revoked("b" * 16)
    assert reopened.purge(now=NOW) == 1
    assert not reopened.is_revoked("a" * 16) and reopened.is_revoked("b" * 16)


def test_cloud_built_commands_are_applied_by_the_gateway(desk: Desk, state: State) -> None:
    from cloud.cards.signing import CardRequest, credential_revoke, credential_upsert, issue
    from cloud.keys.commands import key_upsert
    from cloud.keys.keyring import Keyring
    from mqtt.keycard import Kind

    new_key = SigningKey(5, Ed25519PrivateKey.generate(), T0 - timedelta(days=1))
    assert run(state, "k", "key.upsert", key_upsert(new_key)).ok
    issued = issue(CardRequest(kind=Kind.GUEST, credential_id=77, site=SITE, valid_from=T0,
                               valid_until=T0 + timedelta(days=1), sequence=8, guest=1,
                               floor=3, rooms=(301,)), keyring=Keyring([new_key]), now=T0)
    for command_id, type_, data in (
            ("u", "credential.upsert", credential_upsert(issued, rooms=["301"])),
            ("r", "credential.revoke", credential_revoke(issued))):
        message = decode("posada/v1/h/f3/cmd", encode(type=type_, source="cloud",
                                                      data=data).to_json())
        assert message.data is not None
        assert run(state, command_id, type_, message.data).ok
    assert state.highest_sequence([301]) == 8
    assert decide(issued.data, door=ROOM, time=trusted(NOW), state=state).reason is \
        Reason.REVOKED


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_golden_access_commands_apply_on_a_fresh_gateway(kind: str, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    state: State = MemoryAccessState() if kind == "memory" else \
        SqliteAccessState(sqlite_utils.Database(tmp_path / "gw.db"))
    golden = Path(__file__).parents[2] / "mqtt" / "golden"
    for type_ in ("key.upsert", "credential.upsert", "credential.revoke", "key.retire"):
        message = decode("posada/v1/hotel/f1/cmd", (golden / f"cmd-{type_}.json").read_bytes())
        assert message.data is not None
        outcome = run(state, message.envelope.id, type_, message.data)
        assert outcome.ok, outcome.error
    assert state.public_key(1) is not None
    assert state.public_key(1).retired_at == datetime(2027, 1, 1, tzinfo=UTC)  # type: ignore[union-attr]
    assert state.highest_sequence([101]) == 12
    assert state.is_revoked("0190a1b2c3d4e5f6")


def _upsert(issuer: Desk, card: bytes) -> CredentialUpsert:
    return CredentialUpsert(credential_id=f"{issuer.next_id:016x}", card=b64(card))


def test_a_card_that_comes_before_its_key_is_held_and_applied_when_the_key_arrives(
        desk: Desk, state: State) -> None:
    later = Desk(key=SigningKey(2, Ed25519PrivateKey.generate(), T0 - timedelta(days=1)))
    old = desk.card(sequence=1)
    newer = later.card(sequence=2)
    held = run(state, "c1", "credential.upsert", _upsert(later, newer))
    assert held.ok and state.highest_sequence([301]) == 0  # nothing applied yet
    assert decide(old, door=ROOM, time=trusted(NOW), state=state).granted
    key = KeyUpsert(key_id=2, public_key=b64(later.key.public_bytes()))
    assert run(state, "k2", "key.upsert", key).ok
    assert state.highest_sequence([301]) == 2  # the held card now cancels the older one
    assert decide(old, door=ROOM, time=trusted(NOW), state=state).reason is Reason.SUPERSEDED
    assert decide(newer, door=ROOM, time=trusted(NOW), state=state).granted
    assert state.unpark(2) == []  # taken once


def test_a_held_card_that_does_not_verify_with_the_arriving_key_is_dropped(
        desk: Desk, state: State) -> None:
    claimed = SigningKey(2, Ed25519PrivateKey.generate(), T0 - timedelta(days=1))
    forger = Desk(key=SigningKey(2, Ed25519PrivateKey.generate(), T0 - timedelta(days=1)))
    assert run(state, "c1", "credential.upsert", _upsert(forger, forger.card(sequence=9))).ok
    assert run(state, "k2", "key.upsert", KeyUpsert(key_id=2, public_key=b64(claimed.public_bytes()))).ok
    assert state.highest_sequence([301]) == 0 and state.public_key(2) is not None


def test_held_cards_are_bounded_survive_a_restart_and_expire(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import edge.access.store as store

    monkeypatch.setattr(store, "PARKED_LIMIT", 2)
    path = tmp_path / "gw.db"
    state = SqliteAccessState(sqlite_utils.Database(path))
    away = Desk(key=SigningKey(7, Ed25519PrivateKey.generate(), T0 - timedelta(days=1)))
    cards = [away.card(sequence=n) for n in (1, 2)]
    assert all(run(state, f"c{n}", "credential.upsert",
                   CredentialUpsert(credential_id=f"{1001 + n:016x}", card=b64(c))).ok
               for n, c in enumerate(cards))
    full = run(state, "c3", "credential.upsert", _upsert(away, away.card(sequence=3)))
    assert not full.ok and "unknown_key" in full.error
    state.db.close()
    reopened = SqliteAccessState(sqlite_utils.Database(path))
    reopened.purge(now=T0 + timedelta(days=3))  # the held cards ran out before the key came
    assert reopened.unpark(7) == []
