"""The simulated floor drives a real gateway: seeded, reproducible, both granted and refused taps."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from edge.app import build
from edge.config import load_config
from edge.sim import SimulatedDoors
from tests.edge.cloud_peer import wait_until

BASE: dict[str, Any] = {"site": "hotel", "floor": "f1", "site_number": 7, "floor_number": 1,
                        "rooms": [str(100 + i) for i in range(1, 11)], "trust_system_clock": True}


def _floor(tmp_path: Path, seed: int, steps: int = 400, **extra: Any) -> tuple[list[str], Counter[str]]:
    config = load_config(env={}, overrides={**BASE, "data_dir": tmp_path, "sim_seed": seed, **extra})
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
    assert types["door.forced"] == 0  # guests walk out with no unlock: a simulated floor is not watched
    assert types["room.occupancy"] >= 1
    assert not any(a.startswith("locked out") for a in actions)
    assert any(a.startswith("do-not-disturb on") for a in actions)


def test_signed_cards_are_judged_by_the_access_core(tmp_path: Path) -> None:
    config = load_config(env={}, overrides={**BASE, "data_dir": tmp_path, "sim_seed": 5})
    gateway, simulator = build(config)
    assert gateway.hardware is not None
    gateway.hardware.start(gateway)
    for _ in range(300):
        simulator.step()
    reasons = Counter((e.type, e.data["reason"]) for e in gateway.store.after(0, limit=10_000)
                      if e.type.startswith("access."))
    assert reasons[("access.granted", "granted")] > 20
    assert reasons[("access.denied", "malformed")] > 0  # random bytes
    assert reasons[("access.denied", "wrong_door")] > 0  # another room's card
    gateway.hardware.stop()
    gateway.store.close()


def test_the_simulator_runs_at_its_rate_on_its_own_thread(tmp_path: Path) -> None:
    config = load_config(env={}, overrides={**BASE, "data_dir": tmp_path, "sim_rate": 20, "sim_seed": 1})
    gateway, simulator = build(config)
    assert gateway.hardware is not None
    gateway.hardware.start(gateway)
    started = time.monotonic()
    simulator.start()
    wait_until(lambda: simulator.actions >= 20, timeout=10, what="20 actions")
    elapsed = time.monotonic() - started
    simulator.stop()
    assert elapsed >= 19 / 20, f"20 actions in {elapsed:.2f} s: faster than 20 a second"
    gateway.hardware.stop()
    gateway.store.close()


def test_the_demo_can_hand_guests_cards_from_elsewhere(tmp_path: Path) -> None:
    issued: list[str] = []

    def issue(room: str) -> bytes:
        issued.append(room)
        return b"\x00" * 16

    config = load_config(env={}, overrides={**BASE, "data_dir": tmp_path, "sim_seed": 2})
    gateway, simulator = build(config, issue_card=issue)
    assert simulator is not None and gateway.hardware is not None
    gateway.hardware.start(gateway)
    for _ in range(30):
        simulator.step()
    assert issued and gateway.store.meta("sim_desk_key") is None  # no local desk key installed
    gateway.hardware.stop()
    gateway.store.close()
