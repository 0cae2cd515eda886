from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cloud.loyalty.chain import Chain, chain_app


@pytest.fixture(scope="module")
def chain() -> Iterator[Chain]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POSADA_ARGON2_MEMORY_KIB", "1024")
        patch.setenv("POSADA_ARGON2_TIME_COST", "1")
        with chain_app() as built:
            yield built
