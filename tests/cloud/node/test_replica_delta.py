"""A replica's changes: applying the diff of two pictures gives the second, a delta that does
not follow the picture held is refused as behind, and an unchanged picture has an empty diff."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.node.replica_delta import ReplicaBehind, apply, diff, is_empty, split
from mqtt.node_messages import NodeReplica, ReplicaCard, ReplicaFolio, ReplicaRate, ReplicaRoom, ReplicaStay

AS_OF = datetime(2027, 3, 1, 9, tzinfo=UTC)
D0 = date(2027, 3, 1)
IDS = st.sampled_from([f"r{n}" for n in range(8)])


def _stay(rid: str, offset: int, room: int, status: str) -> ReplicaStay:
    return ReplicaStay(
        reservation_id=rid,
        status=status,
        room_type="std",
        room=str(room),  # type: ignore[arg-type]
        arrival=D0 + timedelta(days=offset),
        departure=D0 + timedelta(days=offset + 2),
        rate_minor=10000,
        currency="EUR",
        guest_sealed=f"n1:{rid}{room}",
    )


stays = st.dictionaries(
    IDS,
    st.tuples(st.integers(0, 5), st.integers(101, 104), st.sampled_from(["booked", "checked_in"])),
    max_size=6,
).map(lambda d: sorted((_stay(k, *v) for k, v in d.items()), key=lambda s: (s.arrival, s.reservation_id)))
folios = st.dictionaries(IDS, st.integers(-5000, 5000), max_size=6).map(
    lambda d: [ReplicaFolio(reservation_id=k, balance_minor=v, currency="EUR") for k, v in sorted(d.items())]
)
cards = st.dictionaries(IDS, st.integers(101, 104), max_size=6).map(
    lambda d: [
        ReplicaCard(
            credential_id=f"c{k}", reservation_id=k, room=str(v), valid_until=AS_OF + timedelta(days=2)
        )
        for k, v in sorted(d.items())
    ]
)
rates = st.integers(9000, 12000).map(
    lambda a: [ReplicaRate(rate_plan="flex", room_type="std", amount_minor=a, currency="EUR")]
)


def _picture(
    version: int, parts: tuple[list[ReplicaStay], list[ReplicaFolio], list[ReplicaCard], list[ReplicaRate]]
) -> NodeReplica:
    s, f, c, r = parts
    return NodeReplica(
        as_of=AS_OF + timedelta(minutes=version),
        first_night=D0,
        days=7,
        version=version,
        rooms=[ReplicaRoom(room="101", room_type="std")],
        stays=s,
        folios=f,
        cards=c,
        rates=r,
    )


pictures = st.tuples(stays, folios, cards, rates)


@settings(max_examples=60, deadline=None)
@given(before=pictures, after=pictures)
def test_applying_the_diff_of_two_pictures_gives_the_second(before, after) -> None:  # type: ignore[no-untyped-def]
    old, new = _picture(3, before), _picture(4, after)
    delta = diff(old, new)
    assert apply(old, delta) == new
    assert is_empty(delta) == (old.model_copy(update={"as_of": new.as_of, "version": 4}) == new)


def test_a_delta_that_does_not_follow_the_replica_held_is_behind() -> None:
    parts = ([_stay("r1", 0, 101, "booked")], [], [], [])
    old, new = _picture(3, parts), _picture(4, ([_stay("r1", 0, 102, "booked")], [], [], []))
    delta = diff(old, new)
    assert [s.room for s in delta.stays] == ["102"] and delta.rooms == []
    with pytest.raises(ReplicaBehind) as behind:
        apply(_picture(2, parts), delta)
    assert (behind.value.held, behind.value.base) == (2, 3)


def test_a_delta_goes_from_one_version_to_the_next_only() -> None:
    with pytest.raises(ValueError, match="one version to the next"):
        diff(_picture(3, ([], [], [], [])), _picture(5, ([], [], [], [])))


def test_changes_too_large_for_one_message_go_as_consecutive_deltas() -> None:
    many = [_stay(f"r{n:03d}", n % 5, 101 + n % 4, "booked") for n in range(300)]
    many.sort(key=lambda s: (s.arrival, s.reservation_id))
    old, new = _picture(3, ([], [], [], [])), _picture(4, (many, [], [], []))
    parts = split(diff(old, new), max_bytes=8_000)
    assert len(parts) > 3 and [p.base for p in parts] == list(range(3, 3 + len(parts)))
    assert all(len(p.model_dump_json()) < 10_000 for p in parts)
    held = old
    for part in parts:
        held = apply(held, part)
    assert held == new.model_copy(update={"version": 3 + len(parts)})
