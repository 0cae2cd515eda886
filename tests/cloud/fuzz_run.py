"""Fuzz every /api/v1 operation of the app from its OpenAPI document with a manager's bearer token,
counting requests and answers by status class; every 5xx is kept as a failure to report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from tests.cloud.auth.portal_app import PASSWORD, PortalApp, fast_auth_env, portal_app
from tests.cloud.auth.test_api_fuzz import STREAMS, send


@dataclass
class Tally:
    requests: int = 0
    classes: Counter[str] = field(default_factory=Counter)
    operations: int = 0
    failures: list[tuple[str, str, int, str]] = field(default_factory=list)

    def add(self, case: schemathesis.Case, status: int, body: str) -> None:
        self.requests += 1
        self.classes[f"{status // 100}xx"] += 1
        if status >= 500:
            self.failures.append((case.method, case.formatted_path, status, body[:300]))

    def report(self) -> str:
        classes = ", ".join(f"{k} {v}" for k, v in sorted(self.classes.items()))
        failures = len(self.failures)
        return f"{self.operations} operations, {self.requests} requests: {classes}; {failures} failures"


@contextmanager
def manager_on(url: str) -> Iterator[tuple[PortalApp, str]]:
    """The real app on the database at ``url`` with a manager's API token."""
    mp = pytest.MonkeyPatch()
    fast_auth_env(mp)
    mp.setenv("POSADA_STRIPE_WEBHOOK_SECRET", "whsec_fuzzing")
    mp.setenv("POSADA_API_RATE_PER_MINUTE", "1000000")  # the fuzzer is one very busy client
    mp.setenv("POSADA_API_RATE_BURST", "1000000")
    try:
        with portal_app(url) as portal:
            client = portal.client()
            issued = client.post(
                "/api/v1/auth/tokens", json={"username": "manager-hotel", "password": PASSWORD}
            )
            assert issued.status_code in (200, 201), issued.text
            yield portal, issued.json()["token"]
    finally:
        mp.undo()


def api_operations(portal: PortalApp) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", portal.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op for op in operations if op.path.startswith("/api/v1") and op.path != STREAMS]


def fuzz(portal: PortalApp, token: str, *, examples: int) -> Tally:
    tally = Tally()
    client = TestClient(
        portal.app, base_url="http://testserver", raise_server_exceptions=False
    )  # a 500 is counted
    for operation in api_operations(portal):
        tally.operations += 1
        _operation(operation, client, token, tally, examples)
    return tally


def _operation(operation: Any, client: TestClient, token: str, tally: Tally, examples: int) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: schemathesis.Case) -> None:
        answer = send(client, case, {"Authorization": f"Bearer {token}"})
        tally.add(case, answer.status_code, answer.text)

    check()
