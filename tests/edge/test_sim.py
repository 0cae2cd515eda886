"""The simulated floor drives a real gateway: seeded, reproducible, both granted and refused taps."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from edge.app import build
from edge.config import load_config
from edge.sim import SimulatedDoors


def _floor(tmp_path: Path, seed: int, steps: int = 400) -> tuple[list[str], Counter[str]]:
    config = load_config(env={}, overrides={"site": "hotel", "floor": "f1", "data_dir": tmp_path,
                                            "rooms": [str(100 + i) for i in range(10)], "sim_seed": seed})
    gateway, simulator = build(config)
    assert isinstance(gateway.hardware, SimulatedDoors)
    gateway.hardware.start(gateway)
    actions = [simulator.step() for _ in range(steps)]
    types = Counter(e.type for e in gateway.store.after(0, limit=10_000))
    gateway.hardware.stop()
    gateway.store.close()
    return actions, types


def test_a_seeded_floor_repeats_itself(tmp_path: Path) -> None:
    first, types_a = _floor(tmp_path / "a", seed=3, steps=150)
    second, types_b = _floor(tmp_path / "b", seed=3, steps=150)
    assert first == second and types_a == types_b
    other, _ = _floor(tmp_path / "c", seed=4, steps=150)
    assert other != first


def test_guests_get_in_with_their_cards_and_strangers_do_not(tmp_path: Path) -> None:
    actions, types = _floor(tmp_path, seed=11)
    assert types["access.granted"] > 20 and types["access.denied"] > 5
    assert types["door.opened"] == types["door.closed"] > 20
    assert types["room.occupancy"] >= 1
    assert not any(a.startswith("locked out") for a in actions)


def test_the_simulator_runs_at_its_rate_on_its_own_thread(tmp_path: Path) -> None:
    config = load_config(env={}, overrides={"site": "hotel", "floor": "f1", "data_dir": tmp_path,
                                            "rooms": ["101", "102"], "sim_rate": 100, "sim_seed": 1})
    gateway, simulator = build(config)
    assert gateway.hardware is not None
    gateway.hardware.start(gateway)
    simulator.start()
    time.sleep(0.5)
    simulator.stop()
    assert 20 <= simulator.actions <= 60
    gateway.hardware.stop()
    gateway.store.close()
