"""A phone key at a door's scanner: the text a scanner types becomes the card's bytes, and a 'pi'
gateway decides it with the same ``decide()`` as a tapped card and opens the firmware node's lock."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.access.scan import MAX_CARD, ScanRefused, card_of
from edge.app import Gateway, build
from edge.config import load_config
from edge.hw.qr_scanner import MAX_LINE, LineReader
from edge.hw.qr_scanner_sim import SimulatedScanner
from edge.hw.sim_node import SimulatedDoorNode
from edge.sim import SimulatedDesk
from firmware.doornode.clock import ticks_ms
from mqtt.keycard import parse_card
from mqtt.messages import CredentialRevoke
from tests.edge.cloud_peer import wait_until


def _text(card: bytes) -> str:
    return base64.urlsafe_b64encode(card).rstrip(b"=").decode()


@settings(max_examples=60)
@given(st.binary(min_size=1, max_size=MAX_CARD))
def test_a_scanned_card_text_gives_back_its_bytes(card: bytes) -> None:
    assert card_of(_text(card).encode() + b"\r\n") == card


@pytest.mark.parametrize("line", [b"", b"  ", b"POSADA-CHECKIN:abc.def", b"\xff\xfe", b"A",
                                  b"A" * 200, b"abc=", b"ab cd"])
def test_what_is_not_a_phone_key_is_refused(line: bytes) -> None:
    with pytest.raises(ScanRefused):
        card_of(line)


def test_lines_are_cut_at_each_end_and_noise_without_an_end_is_dropped() -> None:
    reader = LineReader()
    assert reader.feed(b"abc\rde") == [b"abc"]
    assert reader.feed(b"f\r\n\n") == [b"def"]
    assert reader.feed(b"x" * (MAX_LINE + 5)) == [] and reader.dropped == 1
    assert reader.feed(b"yyy\rok\r") == [b"ok"]  # the overlong read is skipped to its end


@pytest.fixture
def door_with_scanner(tmp_path: Path) -> Iterator[tuple[Gateway, SimulatedDoorNode, SimulatedScanner]]:
    node = SimulatedDoorNode(7, link_timeout_ms=300, decision_timeout_ms=400, reread_ms=100).start()
    scanner = SimulatedScanner()
    config = load_config(env={}, overrides={
        "site": "hotel", "floor": "f1", "rooms": ["101", "102"], "data_dir": tmp_path,
        "site_number": 4, "floor_number": 1, "trust_system_clock": True, "hardware": "pi",
        "serial_url": node.device, "door_nodes": {"101": 7}, "unlock_s": 1,
        "qr_scanners": {"101": scanner.device},
    })
    gateway, _ = build(config)
    assert gateway.hardware is not None and len(gateway.scanners) == 1
    gateway.hardware.start(gateway)
    gateway.scanners[0].start()
    assert gateway.scanners[0].reading.wait(10), "the scanner's port never opened"
    wait_until(lambda: node.node.link_up(ticks_ms()), timeout=20, what="the gateway polling the node")
    yield gateway, node, scanner
    gateway.scanners[0].stop()
    gateway.hardware.stop()
    gateway.store.close()
    scanner.close()
    node.close()


def _reasons(gateway: Gateway) -> list[str | None]:
    return [e.data.get("reason") for e in gateway.store.after(0, limit=100) if e.type.startswith("access.")]


def test_a_phone_key_at_the_scanner_opens_the_door_and_is_refused_once_revoked(
    door_with_scanner: tuple[Gateway, SimulatedDoorNode, SimulatedScanner],
) -> None:
    gateway, node, scanner = door_with_scanner
    desk = SimulatedDesk.load_or_create(gateway.store, site=4, floor=1)
    ack = gateway.command("key.upsert", desk.key_command())
    assert ack is not None and ack.ok
    card = desk.issue("101", now=gateway.now())
    mark = node.lock.mark()
    scanner.show(_text(card))
    wait_until(lambda: _reasons(gateway) == ["granted"], timeout=5, what="the phone key granted")
    assert node.lock.wait_for(1, timeout=2.0, since=mark)
    scanner.show("https://example.com/not-a-key")
    wait_until(lambda: _reasons(gateway)[-1:] == ["malformed"], timeout=5, what="another code refused")
    ref = parse_card(card).card.credential_ref
    ack = gateway.command("credential.revoke", CredentialRevoke(credential_id=ref))
    assert ack is not None and ack.ok, ack
    scanner.show(_text(card))
    wait_until(lambda: _reasons(gateway)[-1:] == ["revoked"], timeout=5, what="the revoked key refused")
