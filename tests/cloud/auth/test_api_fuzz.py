"""Fuzz the REST API from its own OpenAPI document: no input, signed in or not, yields a 5xx."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from httpx import Response
from hypothesis import HealthCheck, given, settings
from schemathesis.core import NOT_SET

from tests.cloud.auth.portal_app import PASSWORD, PortalApp, fast_auth_env, portal_app
from tests.cloud.auth.test_security import CHANNELS, WEBHOOKS

SEEN: dict[str, set[int]] = {}
# Examples per operation: a few in the suite, many more in a long run (POSADA_FUZZ_EXAMPLES=500).
EXAMPLES = int(os.environ.get("POSADA_FUZZ_EXAMPLES", "5"))
STREAMS = "/api/v1/board/stream"  # server-sent events never end; not a request/response endpoint


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PortalApp, str]]:
    mp = pytest.MonkeyPatch()
    fast_auth_env(mp)
    mp.setenv("POSADA_STRIPE_WEBHOOK_SECRET", "whsec_fuzzing")  # so the webhook checks signatures
    mp.setenv("POSADA_API_RATE_PER_MINUTE", "1000000")  # inputs are fuzzed here, not the token's pace
    mp.setenv("POSADA_API_RATE_BURST", "100000")
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'cloud.db'}"
    with portal_app(url) as portal:
        client = portal.client()
        issued = client.post("/api/v1/auth/tokens", json={"username": "manager-hotel", "password": PASSWORD})
        yield portal, issued.json()["token"]
    mp.undo()


@pytest.mark.fuzz
def test_api_never_answers_with_a_server_error(fuzzed: tuple[PortalApp, str]) -> None:
    portal, token = fuzzed
    schema = schemathesis.openapi.from_asgi("/openapi.json", portal.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if op.path != STREAMS]
    assert len(operations) >= 10
    client = portal.client()
    for operation in operations:
        _fuzz(operation, client, token)
    assert 201 in SEEN["POST /api/v1/guests"]  # the fuzzing reached past validation and auth
    assert 200 in SEEN["GET /api/v1/guests"]


def send(client: TestClient, case: schemathesis.Case, headers: dict[str, str]) -> Response:
    """Send a generated case through the app's own test client (httpx, no requests/urllib3)."""
    body: dict[str, Any] = {}
    if case.body is not NOT_SET:
        if case.media_type == "application/json":
            body["json"] = case.body
        else:
            body["content"] = case.body if isinstance(case.body, bytes | str) else str(case.body)
            headers = {**headers, "content-type": case.media_type or "application/octet-stream"}
    extra = {k: str(v) for k, v in (case.headers or {}).items()}
    return client.request(
        case.method,
        case.formatted_path,
        params=case.query or None,
        headers={**extra, **headers},
        follow_redirects=False,
        **body,
    )


def _fuzz(operation: Any, client: TestClient, token: str) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: schemathesis.Case) -> None:
        signed_in = send(client, case, {"Authorization": f"Bearer {token}"})
        SEEN.setdefault(f"{case.method} {case.path}", set()).add(signed_in.status_code)
        assert signed_in.status_code < 500, (case.method, case.formatted_path, signed_in.text[:300])
        if case.path == "/api/v1/auth/tokens":
            return  # anonymous by design
        anonymous = send(client, case, {})
        assert anonymous.status_code < 500, (case.method, case.formatted_path, anonymous.text[:300])
        if case.path not in ("/health", *WEBHOOKS, *CHANNELS):  # these answer by signature, not by staff
            assert anonymous.status_code in (401, 404, 405, 422), (case.path, anonymous.status_code)

    check()
