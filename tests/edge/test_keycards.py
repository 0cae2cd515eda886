"""Keycard decisions at the gateway while other threads hold its store (a backlog draining): a
decision never waits for the store's lock, and keeps every rule it had."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.access.decision import Reason
from edge.app import Gateway
from edge.config import load_config
from edge.sim import SimulatedDesk, SimulatedDoors
from edge.store import Store
from mqtt.keycard import parse_card
from mqtt.messages import CredentialRevoke
from tests.edge.store_holder import held, within


def _gateway(data_dir: Path) -> Gateway:
    config = load_config(env={}, overrides={
        "site": "hotel", "floor": "f1", "rooms": ["101", "102"], "data_dir": data_dir,
        "site_number": 9, "floor_number": 1, "trust_system_clock": True})
    return Gateway(config, hardware=SimulatedDoors())


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    gw = _gateway(tmp_path)
    yield gw
    gw.store.close()


@pytest.fixture
def desk(gateway: Gateway) -> SimulatedDesk:
    desk = SimulatedDesk.load_or_create(gateway.store, site=9, floor=1)
    ack = gateway.command("key.upsert", desk.key_command())
    assert ack is not None and ack.ok
    return desk


def _stored_sequence(store: Store, room: int) -> int | None:
    with store.reading() as conn:
        row = conn.execute("SELECT sequence FROM room_sequences WHERE room = ?", [room]).fetchone()
    return None if row is None else int(row[0])


def test_a_tap_is_decided_while_another_thread_holds_the_store(gateway: Gateway,
                                                                desk: SimulatedDesk) -> None:
    card = desk.issue("101", now=gateway.now())
    assert gateway.judge_card("101", card).granted  # its first use is recorded
    with held(gateway.store):
        decision = within(2.0, lambda: gateway.decide_card("101", card))
        assert decision.granted
        assert within(2.0, lambda: gateway.decide_card("102", card)).reason is Reason.WRONG_DOOR


def test_a_first_use_is_decided_while_the_store_is_held_and_seen_by_the_next_decision(
        gateway: Gateway, desk: SimulatedDesk) -> None:
    old = desk.issue("101", now=gateway.now())
    assert gateway.judge_card("101", old).granted
    new = desk.issue("101", now=gateway.now())
    sequence = parse_card(new).card.sequence
    with held(gateway.store):
        assert within(2.0, lambda: gateway.decide_card("101", new)).granted
        assert _stored_sequence(gateway.store, 101) == sequence - 1  # the writer has not got it yet
        refused = within(2.0, lambda: gateway.decide_card("101", old))
        assert refused.reason is Reason.SUPERSEDED
    assert _stored_sequence(gateway.store, 101) == sequence  # committed with the holder's work


def test_a_first_use_is_durable_with_the_taps_access_event(tmp_path: Path) -> None:
    gateway = _gateway(tmp_path)
    desk = SimulatedDesk.load_or_create(gateway.store, site=9, floor=1)
    assert gateway.command("key.upsert", desk.key_command()) is not None
    old = desk.issue("101", now=gateway.now())
    assert gateway.judge_card("101", old).granted
    new = desk.issue("101", now=gateway.now())
    with held(gateway.store, roll_back=True):  # the transaction that would carry it is lost
        decision = within(2.0, lambda: gateway.decide_card("101", new))
    gateway.card_decided("101", decision, at=gateway.now())  # the access event, durably
    assert [e.type for e in gateway.store.after(0, limit=10)][-1] == "access.granted"
    gateway.store.close()
    again = _gateway(tmp_path)  # restarted: no memory of the first use but the store's
    try:
        assert again.decide_card("101", old).reason is Reason.SUPERSEDED
        assert again.decide_card("101", new).granted
    finally:
        again.store.close()


def test_a_revocation_applied_by_the_writer_is_seen_by_the_next_decision(
        gateway: Gateway, desk: SimulatedDesk) -> None:
    card = desk.issue("101", now=gateway.now())
    assert gateway.decide_card("101", card).granted
    ack = gateway.command("credential.revoke",
                          CredentialRevoke(credential_id=parse_card(card).card.credential_ref))
    assert ack is not None and ack.ok
    with held(gateway.store):
        assert within(2.0, lambda: gateway.decide_card("101", card)).reason is Reason.REVOKED


def test_a_signed_card_is_decided_offline_while_the_store_is_held(gateway: Gateway,
                                                                  desk: SimulatedDesk) -> None:
    """Nothing but the card and the key on the gateway: no credential was ever sent for it."""
    card = desk.issue("102", now=gateway.now())
    with held(gateway.store):
        assert within(2.0, lambda: gateway.decide_card("102", card)).granted
        assert within(2.0, lambda: gateway.decide_card("101", card)).reason is Reason.WRONG_DOOR
