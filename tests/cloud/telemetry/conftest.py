from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.victoria import Victoria, start_victoria


@pytest.fixture(scope="module")
def victoria() -> Iterator[Victoria]:
    server = start_victoria()
    yield server
    server.stop()
