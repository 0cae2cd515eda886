"""The long authenticated fuzz run: every /api/v1 operation, 50 examples each, a manager's bearer
token, PostgreSQL. Prints requests, answers per status class and every 5xx (each one a failure).

Run: ``PYTHONPATH=$PWD python -m pytest tests/bench/test_api_fuzz_bench.py -m bench -s -p no:randomly -n 0``.
"""

from __future__ import annotations

import time

import pytest

from tests.cloud.fuzz_run import fuzz, manager_on

EXAMPLES = 50


@pytest.mark.bench
def test_fuzz_every_api_route_as_a_manager_on_postgresql(pg_url: str) -> None:
    with manager_on(pg_url) as (portal, token):
        start = time.perf_counter()
        tally = fuzz(portal, token, examples=EXAMPLES)
        seconds = time.perf_counter() - start
    print(f"\nfuzz, {EXAMPLES} examples per operation, {seconds:.0f} s: {tally.report()}")
    for method, path, status, body in tally.failures:
        print(f"  {status} {method} {path}: {body}")
    assert tally.failures == []
