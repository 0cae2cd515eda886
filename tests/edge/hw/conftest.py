"""Serial fixtures: a real firmware node on a pty, or a scripted far end for bad input."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from bus_far_end import Script, ScriptedEnd

from edge.hw.sim_node import SimulatedDoorNode


@pytest.fixture
def scripted() -> Iterator[Callable[[Script], ScriptedEnd]]:
    ends: list[ScriptedEnd] = []

    def make(script: Script) -> ScriptedEnd:
        ends.append(ScriptedEnd(script))
        return ends[-1]

    yield make
    for end in ends:
        end.close()


@pytest.fixture
def door_node() -> Iterator[SimulatedDoorNode]:
    node = SimulatedDoorNode(7, link_timeout_ms=300, decision_timeout_ms=400, reread_ms=100).start()
    yield node
    node.close()
