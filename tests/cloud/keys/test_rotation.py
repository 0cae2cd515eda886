"""Key rotation end to end: the cloud rotates, the gateway follows by commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cloud.cards.signing import CardRequest, issue
from cloud.keys.commands import key_upsert
from cloud.keys.keyring import GRACE
from cloud.keys.rotation import rotate
from cloud.keys.storage import KeyDirectory
from edge.access.commands import apply_command
from edge.access.decision import Reason, decide
from edge.access.memory import MemoryAccessState
from edge.access.scope import Door
from edge.clock import TimeReading
from mqtt.keycard import Kind

T0 = datetime(2026, 3, 1, tzinfo=UTC)
ROOM = Door(site=1, floor=1, room=101)


def at(when: datetime) -> TimeReading:
    return TimeReading(at=when, trusted=True, not_before=None, offset_s=0.0)


def card(keys: KeyDirectory, now: datetime, n: int) -> bytes:
    request = CardRequest(kind=Kind.GUEST, credential_id=n, site=1, valid_from=now,
                          valid_until=now + timedelta(days=3), sequence=1, guest=1, floor=1,
                          rooms=(101,))
    return issue(request, keyring=keys.load(), now=now).data


def test_rotation_switches_keys_and_retires_the_old_one_after_its_cards(tmp_path: Path) -> None:
    keys = KeyDirectory(tmp_path)
    first = keys.load_or_create(now=T0).signing_key(T0)
    gateway = MemoryAccessState()
    apply_command("k1", "key.upsert", data=key_upsert(first), state=gateway, now=T0)

    rotation = rotate(keys, now=T0 + timedelta(days=30))
    for n, (type_, data) in enumerate((("key.upsert", rotation.announce),
                                       ("key.retire", rotation.retire))):
        assert apply_command(f"r{n}", type_, data=data, state=gateway, now=T0).ok

    before = card(keys, rotation.switch_at - timedelta(minutes=1), 1)
    after = card(keys, rotation.switch_at + timedelta(minutes=1), 2)
    assert before[3:5] == b"\x00\x01" and after[3:5] == b"\x00\x02"  # key ids on the cards
    soon = rotation.switch_at + timedelta(hours=1)
    assert decide(before, door=ROOM, time=at(soon), state=gateway).granted
    assert decide(after, door=ROOM, time=at(soon), state=gateway).granted
    late = rotation.switch_at + GRACE
    assert decide(before, door=ROOM, time=at(late), state=gateway).reason is Reason.RETIRED_KEY


def test_a_second_rotation_before_the_switch_is_refused(tmp_path: Path) -> None:
    keys = KeyDirectory(tmp_path)
    keys.load_or_create(now=T0)
    rotate(keys, now=T0 + timedelta(days=1))
    with pytest.raises(ValueError, match="already scheduled"):
        rotate(keys, now=T0 + timedelta(days=1, hours=1))
