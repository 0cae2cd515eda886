"""Every /api/v1 operation, fuzzed from the OpenAPI document with a manager's bearer token on
PostgreSQL: no input yields a server error (a few examples per operation; tests/bench has the long run)."""

from __future__ import annotations

import pytest

from tests.cloud.fuzz_run import fuzz, manager_on

EXAMPLES = 3


@pytest.mark.fuzz
def test_a_manager_fuzzing_every_api_route_on_postgresql_meets_no_server_error(pg_url: str) -> None:
    with manager_on(pg_url) as (portal, token):
        nul = portal.client().post("/api/v1/auth/tokens", json={"username": "a\u0000", "password": "x" * 12})
        assert nul.status_code == 422, (
            nul.text
        )  # PostgreSQL refuses NUL in text: the client's error, not a 500
        tally = fuzz(portal, token, examples=EXAMPLES)
    print(tally.report())
    assert tally.operations >= 100 and tally.classes["2xx"] > 0
    assert tally.failures == []
