"""Benchmark: door decisions at the gateway core on the sqlite-utils store the gateway uses,
with 10,000 stored credentials and 1,000 revocations; also card signing and verification."""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cloud.cards.signing import CardRequest, issue
from cloud.keys.keyring import Keyring, SigningKey
from edge.access.decision import Reason, decide, verify
from edge.access.gate import admit
from edge.access.memory import MemoryAccessState
from edge.access.ports import PublicKey, StoredCredential
from edge.access.scope import Door
from edge.access.store import SqliteAccessState, open_state
from edge.clock import TimeReading
from mqtt.keycard import Area, Kind, parse_card

SITE, FLOORS, ROOMS_PER_FLOOR = 3, 20, 50
CREDENTIALS, REVOCATIONS, SAMPLES = 10_000, 1_000, 5_000
T0 = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
NOW = TimeReading(at=T0 + timedelta(hours=3), trusted=True, not_before=None, offset_s=0.0)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def populate(state: SqliteAccessState, ring: Keyring) -> list[tuple[bytes, Door]]:
    rng = random.Random(7)
    taps: list[tuple[bytes, Door]] = []
    with state.atomic():
        for n in range(CREDENTIALS):
            floor = rng.randrange(1, FLOORS + 1)
            room = floor * 100 + rng.randrange(1, ROOMS_PER_FLOOR + 1)
            card = issue(CardRequest(
                kind=Kind.GUEST, credential_id=n + 1, site=SITE, valid_from=T0,
                valid_until=T0 + timedelta(days=3), sequence=n + 1, guest=1, floor=floor,
                areas=Area.POOL, rooms=(room,)), keyring=ring, now=T0)
            state.put_credential(StoredCredential(
                credential_id=card.card.credential_ref, kind="guest", key_id=1, floor=floor,
                rooms=(room,), sequence=n + 1, guest=1, valid_until=card.card.valid_until,
                card=card.data))
            taps.append((card.data, Door(site=SITE, floor=floor, room=room)))
        for n in rng.sample(range(CREDENTIALS), REVOCATIONS):
            state.revoke(f"{n + 1:016x}", until=T0 + timedelta(days=3), at=T0)
    return taps


def report(name: str, samples_ns: list[int]) -> tuple[float, float]:
    """Print and return p50 and p99 in microseconds."""
    us = [s / 1000 for s in samples_ns]
    p50, p99 = percentile(us, 0.50), percentile(us, 0.99)
    print(f"{name:<34} n={len(us):>5}  p50 {p50:8.1f} us  p99 {p99:8.1f} us  "
          f"mean {statistics.fmean(us):8.1f} us")
    return p50, p99


@pytest.mark.bench
def test_access_decision_latency(tmp_path: Path) -> None:
    key = SigningKey(1, Ed25519PrivateKey.generate(), T0 - timedelta(days=1))
    ring = Keyring([key])
    state = open_state(str(tmp_path / "gateway.db"))
    state.put_key(PublicKey(1, key.public_bytes()))
    started = time.perf_counter()
    taps = populate(state, ring)
    print(f"\npopulated {CREDENTIALS} credentials, {REVOCATIONS} revocations "
          f"in {time.perf_counter() - started:.2f} s")
    sample = random.Random(11).choices(taps, k=SAMPLES)
    for data, door in sample[:200]:  # warm the page cache and the key cache
        decide(data, door=door, time=NOW, state=state)
    timings, cpu, reasons = [], [], {}
    for data, door in sample:
        t, c = time.perf_counter_ns(), time.thread_time_ns()
        decision = decide(data, door=door, time=NOW, state=state)
        cpu.append(time.thread_time_ns() - c)
        timings.append(time.perf_counter_ns() - t)
        reasons[decision.reason] = reasons.get(decision.reason, 0) + 1
    report("decide, wall clock", timings)
    _, cpu_p99 = report("decide, thread CPU time", cpu)
    memory = MemoryAccessState()
    memory.put_key(PublicKey(1, key.public_bytes()))
    in_memory = []
    for data, door in sample:
        t = time.perf_counter_ns()
        decide(data, door=door, time=NOW, state=memory)
        in_memory.append(time.perf_counter_ns() - t)
    report("decide, in-memory twin (reference)", in_memory)
    print("reasons:", {r.value: n for r, n in sorted(reasons.items())})
    assert reasons[Reason.REVOKED] > 0 and reasons[Reason.GRANTED] > 0

    class Clock:
        def read(self) -> TimeReading:
            return NOW

    first = list({data: (data, door) for data, door in sample}.values())[:2000]
    for label in ("admit, first use (durable write)", "admit, repeat tap"):
        admit_ns = []
        for data, door in first:
            t = time.perf_counter_ns()
            admit(data, door=door, clock=Clock(), state=state)
            admit_ns.append(time.perf_counter_ns() - t)
        report(label, admit_ns)

    body_card = taps[0][0]
    signed = parse_card(body_card)
    sign_ns, verify_ns = [], []
    for _ in range(SAMPLES):
        t = time.perf_counter_ns()
        key.sign(signed.message)
        sign_ns.append(time.perf_counter_ns() - t)
        t = time.perf_counter_ns()
        assert verify(signed, key.public_bytes())
        verify_ns.append(time.perf_counter_ns() - t)
    report("Ed25519 sign", sign_ns)
    report("Ed25519 verify", verify_ns)
    # Judged on CPU time: wall-clock tails on a shared 2-core machine measure the neighbours.
    assert cpu_p99 < 1000, f"decision p99 {cpu_p99:.0f} us of CPU is over the 1 ms aim"
