"""The property node's replica: the whole picture of 500 stays in the coming 7 days (guests
sealed for the node) against the delta after 5 of them changed, made by the cloud and applied
at the node; sizes on the wire. Printed beside ``reference_seconds()`` of the same run.

Run: ``PYTHONPATH=$PWD python -m pytest tests/bench/test_node_replica_bench.py -m bench -s -p no:xdist``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog.models import RatePlan, RoomType
from cloud.core.db import make_engine, make_sessionmaker
from cloud.node.models import NodeCardKey
from cloud.node.replica_delta import apply
from cloud.node.replica_feed import ReplicaFeed
from cloud.node.seal import public_b64
from cloud.reservations.models import Reservation
from cloud.setup.demo import seed_demo
from mqtt.codec import encode
from mqtt.envelope import new_id
from mqtt.node_messages import NodeReplica, NodeReplicaDelta
from tests.bench.raw_mqtt import reference_seconds
from tests.support.db import migrated_sqlite

pytestmark = pytest.mark.bench
STAYS = 500
ROUNDS = 15
NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)


def _load(url: str) -> sessionmaker[Session]:
    sessions: sessionmaker[Session] = make_sessionmaker(make_engine(url))
    with sessions.begin() as s:
        prop = seed_demo(s)
        type_id = s.scalars(select(RoomType.id).where(RoomType.property_id == prop.id)).first()
        plan_id = s.scalars(select(RatePlan.id).where(RatePlan.property_id == prop.id)).first()
        assert type_id is not None and plan_id is not None
        s.add(
            NodeCardKey(
                site="hotel",
                node="desk-pc",
                key_id=0xF001,
                public_key="-" * 43,
                seal_key=public_b64(X25519PrivateKey.generate()),
                registered_at=NOW,
            )
        )
        for i in range(STAYS):
            arrival = date(2027, 3, 1) + timedelta(days=i % 7)
            s.add(
                Reservation(
                    id=new_id(),
                    property_id=prop.id,
                    guest_name=f"Guest Number{i} Fernández",
                    guest_email=f"guest{i}@example.org",
                    guest_phone=f"+34 600 {i:06d}",
                    adults=2,
                    room_type_id=type_id,
                    inventory_type_id=type_id,
                    rate_plan_id=plan_id,
                    arrival=arrival,
                    departure=arrival + timedelta(days=2),
                    currency="EUR",
                    total_minor=20000,
                    deposit_required_minor=0,
                    checkout_due_at=NOW,
                    created_at=NOW,
                )
            )
    return sessions


def _median_ms(fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def test_a_delta_costs_less_than_the_whole_picture(tmp_path: Path) -> None:
    sessions = _load(migrated_sqlite(tmp_path / "cloud.db"))
    feed = ReplicaFeed("bench-secret-bench-secret-bench")

    def step() -> list[tuple[str, Any]]:
        with sessions.begin() as s:
            return feed.next(s, site="hotel", node="desk-pc", now=NOW)

    first = step()
    whole = first[0][1]
    for _type, part in first[1:]:
        whole = apply(whole, part)
    assert isinstance(whole, NodeReplica) and len(whole.stays) == STAYS
    sizes = [len(encode(type=t, source="posada-cloud", data=d).to_json()) for t, d in first]
    assert max(sizes) < 64 * 1024  # each under the contract's limit
    whole_bytes = sum(sizes)
    picture_ms = _median_ms(step)  # each round: the picture, compared with the last one sent
    held = whole
    with sessions.begin() as s:
        for res in s.scalars(select(Reservation).limit(5)):
            res.departure += timedelta(days=1)
    ((_type, delta),) = step()
    assert isinstance(delta, NodeReplicaDelta) and len(delta.stays) == 5
    delta_bytes = len(encode(type="node.replica_delta", source="posada-cloud", data=delta).to_json())
    held = held.model_copy(update={"version": delta.base})
    apply_ms = _median_ms(lambda: apply(held, delta))
    print(
        f"\nnode replica, {STAYS} stays: whole {whole_bytes / 1024:.0f} KiB in {len(first)} messages, "
        f"delta of 5 changed "
        f"{delta_bytes / 1024:.1f} KiB; cloud's round (picture + diff) median {picture_ms:.0f} ms; "
        f"node applies the delta in {apply_ms:.1f} ms; reference_seconds {reference_seconds():.2f} s"
    )
