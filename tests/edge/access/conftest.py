"""Fixtures: the property's desk, and each access state adapter in turn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils
from access_fixtures import Desk, State

from edge.access.memory import MemoryAccessState
from edge.access.store import SqliteAccessState


@pytest.fixture
def desk() -> Desk:
    return Desk()


@pytest.fixture(params=["memory", "sqlite"])
def state(request: pytest.FixtureRequest, tmp_path: Path,
          desk: Desk) -> Iterator[State]:
    if request.param == "memory":
        st: State = MemoryAccessState()
    else:
        st = SqliteAccessState(sqlite_utils.Database(tmp_path / "access.db"))
    st.put_key(desk.public)
    yield st
