"""Trusted time: persisted across reboots, never backwards, offset reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from edge.clock import MemoryTrustedTime, TrustedClock
from edge.store import Store, StoredTrustedTime

T0 = datetime(2026, 10, 25, 9, 0, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class FakeSystem:
    """A system clock the test moves: wall time and monotonic time separately."""

    def __init__(self, wall: datetime) -> None:
        self._wall = wall
        self._mono = 100.0

    def wall(self) -> datetime:
        return self._wall

    def monotonic(self) -> float:
        return self._mono

    def tick(self, seconds: float, *, wall_jump: float = 0.0) -> None:
        self._mono += seconds
        self._wall += timedelta(seconds=seconds + wall_jump)


def test_clockless_boot_starts_from_the_last_trusted_time_plus_uptime() -> None:
    system = FakeSystem(EPOCH)  # a Pi without a battery clock boots in 1970
    clock = TrustedClock(system=system, store=MemoryTrustedTime(T0))
    system.tick(30)
    reading = clock.read()
    assert reading.at == T0 + timedelta(seconds=30)
    assert not reading.trusted
    assert reading.not_before == T0 + timedelta(seconds=30)
    assert reading.offset_s == (reading.at - system.wall()).total_seconds() > 0


def test_sync_sets_the_offset_and_persists_the_trusted_time() -> None:
    system = FakeSystem(EPOCH)
    store = MemoryTrustedTime(T0)
    clock = TrustedClock(system=system, store=store)
    clock.sync(T0 + timedelta(hours=2))
    system.tick(10)
    reading = clock.read()
    assert reading.trusted
    assert reading.at == T0 + timedelta(hours=2, seconds=10)
    assert store.load() == T0 + timedelta(hours=2)


def test_time_never_runs_backwards_when_the_system_clock_jumps_back() -> None:
    system = FakeSystem(T0)
    clock = TrustedClock(system=system, store=MemoryTrustedTime())
    first = clock.read().at
    system.tick(1, wall_jump=-3600)
    assert clock.read().at >= first


def test_bound_is_saved_periodically_and_survives_a_reboot(tmp_path: Path) -> None:
    db = Store(tmp_path / "gw.db")
    system = FakeSystem(EPOCH)
    clock = TrustedClock(system=system, store=StoredTrustedTime(db), persist_every_s=60)
    clock.sync(T0)
    system.tick(3600)
    clock.read()
    db.close()
    rebooted = FakeSystem(EPOCH)  # power cut: the wall clock is back in 1970
    store = StoredTrustedTime(Store(tmp_path / "gw.db"))
    assert store.load() == T0 + timedelta(hours=1)
    assert TrustedClock(system=rebooted, store=store).read().at == T0 + timedelta(hours=1)


def test_a_wrong_future_system_clock_is_never_persisted() -> None:
    system = FakeSystem(T0 + timedelta(days=3650))
    store = MemoryTrustedTime(T0)
    clock = TrustedClock(system=system, store=store, persist_every_s=0)
    system.tick(5)
    clock.read()
    assert store.load() == T0 + timedelta(seconds=5)  # only the proven bound


@given(st.lists(st.tuples(st.floats(0, 1e5), st.floats(-1e7, 1e7)), max_size=30))
def test_readings_are_monotonic_whatever_the_system_clock_does(
        steps: list[tuple[float, float]]) -> None:
    system = FakeSystem(T0)
    clock = TrustedClock(system=system, store=MemoryTrustedTime(T0 - timedelta(days=1)))
    last = clock.read().at
    for elapsed, jump in steps:
        system.tick(elapsed, wall_jump=jump)
        now = clock.read().at
        assert now >= last
        last = now


def test_os_clock_reports_ntp_sync_from_the_timesyncd_flag(tmp_path: Path) -> None:
    from edge.clock import OsClock

    flag = tmp_path / "synchronized"
    clock = OsClock(str(flag))
    assert not clock.ntp_synced()
    flag.touch()
    assert clock.ntp_synced()
    assert abs((clock.wall() - datetime.now(UTC)).total_seconds()) < 5


def test_synced_time_ignores_later_steps_of_the_system_clock() -> None:
    system = FakeSystem(EPOCH)
    clock = TrustedClock(system=system, store=MemoryTrustedTime())
    clock.sync(T0)
    system.tick(60, wall_jump=86_400)  # someone sets the date a day ahead
    reading = clock.read()
    assert reading.at == T0 + timedelta(seconds=60)
    assert reading.offset_s == (reading.at - system.wall()).total_seconds()
