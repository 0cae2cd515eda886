"""Delegated sub-keys: a node's key vouched for by the property key opens doors like it,
only within its window, and never after it is revoked or its parent is retired."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
from access_fixtures import SITE, T0, Desk, State, trusted
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cloud.keys.delegation import delegate
from cloud.keys.errors import IssueError
from cloud.keys.keyring import Keyring, SigningKey
from edge.access.commands import apply_command
from edge.access.decision import Reason, decide
from edge.access.scope import Door
from edge.access.store import SqliteAccessState
from mqtt import decode, encode
from mqtt.access_messages import KeyDelegate, KeyRetire, KeyUpsert
from mqtt.messages import CredentialUpsert, Data

pytestmark = pytest.mark.unit

SUB_ID = 0xF001
ROOM_DOOR = Door(site=SITE, floor=3, room=301)


class Node:
    """A property node: its own key pair, a window vouched for by the property key."""

    def __init__(self, desk: Desk, *, at: datetime = T0, window: timedelta = timedelta(days=3)):
        self.private = Ed25519PrivateKey.generate()
        self.key = SigningKey(SUB_ID, self.private, at, at + window)
        self.command = delegate(
            Keyring([desk.key]),
            key_id=SUB_ID,
            site=SITE,
            holder="desk-pc",
            public=self.key.public_bytes(),
            now=at,
            window=window,
        )
        self.desk = Desk(key=self.key, next_id=5000)

    def card(self, *, at: datetime, **changes: object) -> bytes:
        return self.desk.card(at=at, **changes)


def run(state: State, command_id: str, type_: str, data: Data, *, now: datetime = T0):  # type: ignore[no-untyped-def]
    return apply_command(command_id, type_, data=data, state=state, now=now)


def tap(card: bytes, state: State, at: datetime) -> Reason:
    return decide(card, door=ROOM_DOOR, time=trusted(at), state=state).reason


def test_card_signed_by_a_delegated_key_opens_within_its_window(desk: Desk, state: State) -> None:
    node = Node(desk)
    assert run(state, "d1", "key.delegate", node.command).ok
    assert tap(node.card(at=T0 + timedelta(hours=2)), state, T0 + timedelta(hours=3)) is Reason.GRANTED


def test_delegated_key_is_refused_after_its_window(desk: Desk, state: State) -> None:
    node = Node(desk, window=timedelta(days=1))
    run(state, "d1", "key.delegate", node.command)
    card = node.card(at=T0 + timedelta(hours=20), valid_until=T0 + timedelta(days=3))
    assert tap(card, state, T0 + timedelta(hours=23)) is Reason.GRANTED
    assert tap(card, state, T0 + timedelta(days=1, seconds=1)) is Reason.DELEGATION_EXPIRED


def test_card_backdated_into_the_window_still_stops_at_its_end(desk: Desk, state: State) -> None:
    node = Node(desk, window=timedelta(days=1))
    run(state, "d1", "key.delegate", node.command)
    rogue = Desk(key=SigningKey(SUB_ID, node.private, T0 - timedelta(days=9)), next_id=9000)
    late = rogue.card(at=T0 - timedelta(hours=1))  # a stolen key signing outside its window
    assert tap(late, state, T0 + timedelta(hours=1)) is Reason.DELEGATION_EXPIRED


def test_revoked_delegated_key_is_refused_and_a_renewal_does_not_undo_it(desk: Desk, state: State) -> None:
    node = Node(desk)
    run(state, "d1", "key.delegate", node.command)
    card = node.card(at=T0 + timedelta(hours=1))
    assert run(state, "r1", "key.retire", KeyRetire(key_id=SUB_ID, at=T0 + timedelta(hours=2))).ok
    assert tap(card, state, T0 + timedelta(hours=3)) is Reason.RETIRED_KEY
    renewal = delegate(
        Keyring([desk.key]),
        key_id=SUB_ID,
        site=SITE,
        holder="desk-pc",
        public=node.key.public_bytes(),
        now=T0 + timedelta(hours=4),
    )
    assert run(state, "d2", "key.delegate", renewal, now=T0 + timedelta(hours=4)).ok
    assert tap(card, state, T0 + timedelta(hours=5)) is Reason.RETIRED_KEY


def test_retiring_the_parent_ends_its_delegations(desk: Desk, state: State) -> None:
    node = Node(desk)
    run(state, "d1", "key.delegate", node.command)
    card = node.card(at=T0 + timedelta(hours=1))
    run(state, "r1", "key.retire", KeyRetire(key_id=desk.key.key_id, at=T0 + timedelta(hours=2)))
    assert tap(card, state, T0 + timedelta(hours=3)) is Reason.RETIRED_KEY


def test_delegation_not_signed_by_a_property_key_is_rejected(desk: Desk, state: State) -> None:
    stranger = Desk(key=SigningKey(1, Ed25519PrivateKey.generate(), T0 - timedelta(days=1)))
    forged = Node(stranger).command
    outcome = run(state, "d1", "key.delegate", forged)
    assert not outcome.ok and "bad_signature" in outcome.error
    assert state.public_key(SUB_ID) is None


def test_tampered_window_breaks_the_signature(desk: Desk, state: State) -> None:
    command = Node(desk).command
    longer = command.model_copy(update={"valid_until": command.valid_until + timedelta(days=1)})
    outcome = run(state, "d1", "key.delegate", longer)
    assert not outcome.ok and "bad_signature" in outcome.error


def test_delegation_naming_another_id_or_an_unknown_parent_is_rejected(desk: Desk, state: State) -> None:
    node = Node(desk)
    run(state, "d1", "key.delegate", node.command)
    chained = node.command.model_copy(update={"key_id": 0xF002, "parent_key_id": 1})
    assert not run(state, "d2", "key.delegate", chained).ok  # the signed bytes name 0xF001
    forged = KeyDelegate.model_validate(node.command.model_dump() | {"parent_key_id": 0})
    outcome = run(state, "d3", "key.delegate", forged)
    assert not outcome.ok and "unknown_key" in outcome.error


def test_property_key_upsert_cannot_take_over_a_delegated_id(desk: Desk, state: State) -> None:
    node = Node(desk)
    run(state, "d1", "key.delegate", node.command)
    same = KeyUpsert(key_id=SUB_ID, public_key=node.command.public_key)
    outcome = run(state, "u1", "key.upsert", same)
    assert not outcome.ok and "key_conflict" in outcome.error


def test_card_held_for_a_delegated_key_is_applied_when_it_arrives(desk: Desk, state: State) -> None:
    node = Node(desk)
    card = node.card(at=T0 + timedelta(minutes=5), sequence=4)
    upsert = CredentialUpsert(
        credential_id=f"{node.desk.next_id:016x}", card=base64.urlsafe_b64encode(card).rstrip(b"=").decode()
    )
    assert run(state, "c1", "credential.upsert", upsert).ok  # held: key unknown yet
    run(state, "d1", "key.delegate", node.command)
    assert state.highest_sequence([301]) == 4


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"window": timedelta(days=15)}, "window"),
        ({"key_id": 7}, "key_id"),
        ({"holder": "Desk PC"}, "holder"),
        ({"public": b"\1" * 31}, "public_key"),
    ],
)
def test_cloud_refuses_a_delegation_out_of_rules(desk: Desk, change: dict[str, object], reason: str) -> None:
    args: dict[str, object] = dict(key_id=SUB_ID, site=SITE, holder="desk-pc", public=b"\1" * 32, now=T0)
    args.update(change)
    with pytest.raises(IssueError) as info:
        delegate(Keyring([desk.key]), **args)  # type: ignore[arg-type]
    assert info.value.reason == reason


def test_key_delegate_round_trips_through_the_contract(desk: Desk) -> None:
    command = Node(desk).command
    env = encode(type="key.delegate", source="cloud", data=command)
    assert decode("posada/v1/h/f3/cmd", env.to_json()).data == command


def test_gateway_database_from_before_delegation_is_upgraded(tmp_path: Path, desk: Desk) -> None:
    db = sqlite_utils.Database(tmp_path / "old.db")
    db["access_keys"].create({"key_id": int, "public": bytes, "retired_at_us": int}, pk="key_id")
    db["access_keys"].insert({"key_id": 1, "public": desk.public.public, "retired_at_us": None})
    state = SqliteAccessState(db)
    assert state.public_key(1) == desk.public
    node = Node(desk)
    assert run(state, "d1", "key.delegate", node.command).ok
    assert state.public_key(SUB_ID) is not None and state.public_key(SUB_ID).delegated  # type: ignore[union-attr]
