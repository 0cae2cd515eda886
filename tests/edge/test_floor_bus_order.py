"""A tap at a door node: answered first, recorded next, acknowledged to the node last; nothing lost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edge.app import Gateway, build
from edge.config import load_config
from edge.hw.sim_node import SimulatedDoorNode
from edge.outbox import OutboxEntry
from edge.sim import SimulatedDesk
from firmware.doornode import frame as fr
from firmware.doornode.clock import ticks_ms
from tests.edge.cloud_peer import wait_until


@pytest.fixture
def node() -> Iterator[SimulatedDoorNode]:
    door = SimulatedDoorNode(7, link_timeout_ms=300, decision_timeout_ms=400, reread_ms=50).start()
    yield door
    door.close()


@pytest.fixture
def gateway(node: SimulatedDoorNode, tmp_path: Path) -> Iterator[Gateway]:
    config = load_config(env={}, overrides={
        "site": "hotel", "floor": "f1", "rooms": ["101"], "data_dir": tmp_path, "site_number": 1,
        "floor_number": 1, "trust_system_clock": True, "hardware": "pi", "serial_url": node.device,
        "door_nodes": {"101": 7}, "unlock_s": 1,
    })
    gw, _ = build(config)
    yield gw
    assert gw.hardware is not None
    gw.hardware.stop()
    gw.store.close()


@pytest.fixture
def card(gateway: Gateway) -> bytes:
    """A guest card of room 101, signed with a key installed on the gateway."""
    desk = SimulatedDesk.load_or_create(gateway.store, site=1, floor=1)
    ack = gateway.command("key.upsert", desk.key_command())
    assert ack is not None and ack.ok
    return desk.issue("101", now=gateway.now())


def _taps_held(node: SimulatedDoorNode) -> int:
    """CARD events the node still keeps (not yet acknowledged by a POLL)."""
    return sum(1 for item in node.node.queue if item[0] == fr.CARD)


def _start(gw: Gateway, node: SimulatedDoorNode) -> None:
    assert gw.hardware is not None
    gw.hardware.start(gw)
    wait_until(lambda: node.node.link_up(ticks_ms()), timeout=5, what="the gateway polling the node")


def _granted(gw: Gateway) -> list[OutboxEntry]:
    return [e for e in gw.store.after(0, limit=100) if e.type == "access.granted"]


def test_the_lock_opens_before_the_tap_is_written_and_the_node_forgets_it_only_after(
        gateway: Gateway, node: SimulatedDoorNode, card: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int]] = []
    append = gateway.store.append_event

    def watched(**kw: Any) -> OutboxEntry:
        if kw["type"].startswith("access."):
            seen.append((node.lock.value(), _taps_held(node)))
        return append(**kw)

    monkeypatch.setattr(gateway.store, "append_event", watched)
    _start(gateway, node)
    mark = node.lock.mark()
    node.tap(card)
    wait_until(lambda: len(_granted(gateway)) == 1, timeout=15, what="the tap recorded")
    assert seen == [(1, 1)], "recorded with the lock already open and the tap still held by the node"
    wait_until(lambda: _taps_held(node) == 0, timeout=15, what="the node acknowledged")
    assert node.lock.first_change_to(1, mark) is not None
    assert len(_granted(gateway)) == 1


def test_a_tap_whose_record_failed_is_heard_again_and_recorded_once(
        gateway: Gateway, node: SimulatedDoorNode, card: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    append = gateway.store.append_event
    failures = [OSError("disk full")]

    def failing_once(**kw: Any) -> OutboxEntry:
        if kw["type"].startswith("access.") and failures:
            raise failures.pop()
        return append(**kw)

    monkeypatch.setattr(gateway.store, "append_event", failing_once)
    _start(gateway, node)
    node.tap(card)
    assert node.lock.wait_for(1, timeout=5), "the door opened at once"
    wait_until(lambda: not failures and len(_granted(gateway)) == 1, timeout=10,
               what="the resent tap recorded")
    wait_until(lambda: _taps_held(node) == 0, timeout=15, what="the node acknowledged")
    assert len(_granted(gateway)) == 1
