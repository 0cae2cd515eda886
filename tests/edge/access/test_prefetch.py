"""The decision's one-statement reads (``edge.access.prefetch``) answer every question a decision
asks exactly as the access store does: the same decision for every kind of card and door."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
from access_fixtures import SITE, T0, Desk, trusted
from test_delegated_keys import SUB_ID, Node

from edge.access.commands import apply_command
from edge.access.decision import decide
from edge.access.ports import BookedSlot, PublicKey
from edge.access.prefetch import NotPrefetched, PrefetchedReads, prefetch
from edge.access.scope import Door
from edge.access.store import SqliteAccessState
from edge.clock import TimeReading
from mqtt.keycard import ALL_FLOORS, Area, Kind, parse_card

pytestmark = pytest.mark.unit

ROOM = Door(site=SITE, floor=3, room=301)
POOL = Door(site=SITE, floor=0, area=Area.POOL, by_booking=True)
GYM = Door(site=SITE, floor=0, area=Area.GYM)
LIFT = Door(site=SITE, floor=3)


def _world(tmp_path: Path, desk: Desk, *,
           revoked: bytes) -> tuple[SqliteAccessState, sqlite3.Connection, Node]:
    path = tmp_path / "access.db"
    state = SqliteAccessState(sqlite_utils.Database(path))
    state.put_key(desk.public)
    node = Node(desk)
    assert apply_command("d1", "key.delegate", data=node.command, state=state, now=T0).ok
    state.put_slot(BookedSlot("b1", int(Area.POOL), 3, 301, T0, T0 + timedelta(hours=1)))
    state.raise_sequence((302,), 5)
    state.revoke(parse_card(revoked).card.credential_ref, until=None, at=T0)
    return state, sqlite3.connect(path), node


def _cards(desk: Desk, node: Node, revoked: bytes) -> list[tuple[str, bytes]]:
    retired = Desk(key=desk.key.__class__(77, desk.key.private, T0 - timedelta(days=9)))
    return [
        ("guest", desk.card()),
        ("revoked", revoked),
        ("guest, another room's older card", desk.card(rooms=(302,), sequence=4)),
        ("guest, that room's newer card", desk.card(rooms=(302,), sequence=6)),
        ("guest, two rooms", desk.card(rooms=(301, 302), sequence=5)),
        ("staff", desk.card(kind=Kind.STAFF, guest=0, sequence=0, rooms=(), floor=ALL_FLOORS,
                             areas=Area.STAFF | Area.GYM)),
        ("master", desk.card(kind=Kind.MASTER, guest=0, sequence=0, rooms=(), floor=ALL_FLOORS)),
        ("expired", desk.card(at=T0 - timedelta(days=5))),
        ("not yet valid", desk.card(at=T0 + timedelta(days=1))),
        ("unknown key", retired.card()),
        ("delegated", node.card(at=T0)),
        ("malformed", b"\x01\x02 not a card"),
        ("cut", desk.card()[:-3]),
    ]


@pytest.mark.parametrize("door", [ROOM, POOL, GYM, LIFT], ids=["room", "pool", "gym", "lift"])
@pytest.mark.parametrize("at", [T0 + timedelta(minutes=5), T0 + timedelta(hours=2)], ids=["in", "after"])
@pytest.mark.parametrize("trust", [True, False], ids=["trusted", "clockless"])
def test_prefetched_reads_decide_as_the_store_does(tmp_path: Path, door: Door, at: datetime,
                                                   trust: bool) -> None:
    desk = Desk()
    revoked = desk.card()
    state, conn, node = _world(tmp_path, desk, revoked=revoked)
    time = trusted(at) if trust else TimeReading(at=at - timedelta(days=3), trusted=False,
                                                 not_before=None, offset_s=0.0)
    reasons = set()
    for name, card in _cards(desk, node, revoked):
        reads = prefetch(conn, card, door=door, time=time)
        expected = decide(card, door=door, time=time, state=state)
        assert decide(card, door=door, time=time, state=reads) == expected, name
        reasons.add(expected.reason)
    assert len(reasons) >= 5  # the cards above are judged in many ways, not all alike


def test_a_question_the_statement_did_not_read_is_never_guessed() -> None:
    reads = PrefetchedReads(key_id=1, key=PublicKey(1, b"k" * 32), credential_ref="a", rooms=(301,))
    with pytest.raises(NotPrefetched):
        reads.public_key(2)
    with pytest.raises(NotPrefetched):
        reads.is_revoked("b")
    with pytest.raises(NotPrefetched):
        reads.highest_sequence((302,))
    with pytest.raises(NotPrefetched):
        reads.slot_open(area=1, floor=3, rooms=(301,), at=T0)
    assert SUB_ID  # the delegated key's id the world above installs
