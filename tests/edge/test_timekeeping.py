"""The gateway's clock: trusted once NTP (or the setting) says so, persisted, never backwards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from edge.store import Store
from edge.timekeeping import GatewayClock
from tests.edge.store_holder import held, within

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@dataclass
class FakeSystem:
    at: datetime
    mono: float = 0.0
    synced: bool = False

    def wall(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return self.mono

    def ntp_synced(self) -> bool:
        return self.synced


def _clock(store: Store, system: FakeSystem, **kw: Any) -> GatewayClock:
    return GatewayClock(store, system=cast(Any, system), **kw)


def test_the_clock_is_trusted_only_after_an_ntp_sync(tmp_path: Path) -> None:
    system = FakeSystem(T0)
    clock = _clock(Store(tmp_path / "gw.db"), system)
    assert not clock.read().trusted
    system.synced = True
    assert clock.read().trusted


def test_a_clockless_restart_never_goes_back_before_the_last_trusted_time(tmp_path: Path) -> None:
    store = Store(tmp_path / "gw.db")
    system = FakeSystem(T0, synced=True)
    assert _clock(store, system).read().at == T0
    store.close()
    reboot = FakeSystem(datetime(1970, 1, 2, tzinfo=UTC), mono=5.0)  # no battery clock, no NTP yet
    again = _clock(Store(tmp_path / "gw.db"), reboot)
    reboot.mono = 65.0
    reading = again.read()
    assert not reading.trusted
    assert reading.at >= T0 + timedelta(seconds=60)
    assert reading.offset_s > 0


def test_trusting_the_system_clock_by_setting(tmp_path: Path) -> None:
    clock = _clock(Store(tmp_path / "gw.db"), FakeSystem(T0), trust_system_clock=True)
    assert clock.read().trusted and clock.read().offset_s == 0


def test_the_clock_is_read_while_another_thread_holds_the_store_and_its_time_kept_after(
        tmp_path: Path) -> None:
    store = Store(tmp_path / "gw.db")
    clock = _clock(store, FakeSystem(T0, synced=True))
    with held(store):
        reading = within(2.0, clock.read)  # the sync persists the time: handed off, not waited for
        assert reading.trusted and reading.at == T0
    assert store.meta("trusted_time") == T0.isoformat()  # the holder committed it
    store.close()
