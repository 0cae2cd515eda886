"""``posada sim``: real gateways on simulated floors, a real Mosquitto with the project's ACL,
the cloud's real ingest; every event counted at the broker is stored once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from posada.sim import ChainShape, ChainSim, report

pytestmark = pytest.mark.service  # runs a Mosquitto of its own


def test_a_small_chain_s_day_reaches_the_cloud_counted_once(tmp_path: Path) -> None:
    sim = ChainSim(shape=ChainShape(hotels=2, floors=1, rooms=3), speed=3600, start_hour=7,
                   data_dir=tmp_path)
    try:
        sim.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            sim.follow_the_day()
            events, telemetry, _ = sim.tally.snapshot()
            if events >= 20 and telemetry > 0 and sim.ingest.counters.stored >= events:
                break
            time.sleep(0.2)
        events, telemetry, _ = sim.tally.snapshot()
        assert events >= 20 and telemetry > 0
        assert set(sim.tally.events) == {("h001", "f01"), ("h002", "f01")}  # both hotels' floors
        sim_report = report(sim, time.monotonic() - sim.started)
    finally:
        sim.stop()
    assert sim.ingest.counters.stored >= events and sim.ingest.counters.duplicates == 0
    assert "chain" in sim_report and "events per room per simulated day" in sim_report


@pytest.mark.parametrize("shape", [(0, 1, 1), (1, 51, 1), (1, 1, 100), (100, 3, 1)])
def test_a_chain_too_small_or_too_large_for_one_process_is_refused(shape: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError):
        ChainShape(*shape)
