"""Benchmark: a guest's tap at a pool door that opens by booking (one more indexed lookup of the
gateway's stored slots) beside the same door open to every guest, on the sqlite-utils store, with
5,000 slots stored; printed beside the machine's reference loop."""

from __future__ import annotations

import random
import time
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cloud.cards.signing import CardRequest, issue
from cloud.keys.keyring import Keyring, SigningKey
from edge.access.decision import Reason, decide
from edge.access.ports import BookedSlot, PublicKey
from edge.access.scope import Door
from edge.access.store import open_state
from mqtt.keycard import Area, Kind
from tests.bench.raw_mqtt import reference_seconds
from tests.bench.test_access_decision import NOW, SITE, T0, report

SLOTS, TAPS = 5_000, 2_000


@pytest.mark.bench
def test_booked_pool_door_latency(tmp_path: Path) -> None:
    key = SigningKey(1, Ed25519PrivateKey.generate(), T0 - timedelta(days=1))
    ring = Keyring([key])
    state = open_state(str(tmp_path / "gateway.db"))
    state.put_key(PublicKey(1, key.public_bytes()))
    rng = random.Random(5)
    with state.atomic():
        for n in range(SLOTS):
            start = NOW.at + timedelta(hours=rng.randrange(-48, 48))
            state.put_slot(
                BookedSlot(
                    booking_id=f"b{n}",
                    area=int(Area.POOL),
                    floor=rng.randrange(1, 21),
                    room=rng.randrange(101, 2151),
                    start=start,
                    end=start + timedelta(hours=1),
                )
            )
        state.put_slot(
            BookedSlot(
                booking_id="mine",
                area=int(Area.POOL),
                floor=3,
                room=301,
                start=NOW.at - timedelta(minutes=10),
                end=NOW.at + timedelta(minutes=50),
            )
        )
    card = issue(
        CardRequest(
            kind=Kind.GUEST,
            credential_id=77,
            site=SITE,
            valid_from=T0,
            valid_until=T0 + timedelta(days=3),
            sequence=1,
            guest=1,
            floor=3,
            areas=Area.POOL,
            rooms=(301,),
        ),
        keyring=ring,
        now=T0,
    ).data
    print(f"\nreference_seconds {reference_seconds():.3f}")
    for by_booking in (False, True):
        door = Door(site=SITE, floor=0, area=Area.POOL, by_booking=by_booking)
        for _ in range(100):
            decide(card, door=door, time=NOW, state=state)
        timings = []
        for _ in range(TAPS):
            started = time.perf_counter_ns()
            decision = decide(card, door=door, time=NOW, state=state)
            timings.append(time.perf_counter_ns() - started)
            assert decision.reason is Reason.GRANTED
        report(f"pool door, by booking={by_booking}", timings)
