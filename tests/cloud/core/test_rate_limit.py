"""API rate limits per bearer token: a burst, then the average rate; 429 with Retry-After."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.core.rate_limit import ApiRateLimit, TokenBuckets


def test_a_burst_is_allowed_then_the_rate_holds() -> None:
    buckets = TokenBuckets(per_minute=60, burst=3)
    assert [buckets.take("a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a", 0.0) == 1.0  # one a second
    assert buckets.take("a", 1.0) == 0.0
    assert buckets.take("b", 1.0) == 0.0  # another token has its own bucket


def test_forgotten_tokens_are_bounded() -> None:
    buckets = TokenBuckets(per_minute=60, burst=1, max_tokens=10)
    for i in range(100):
        buckets.take(str(i), 0.0)
    assert len(buckets._buckets) == 10


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=120, allow_nan=False), max_size=200))
def test_no_more_than_burst_plus_rate_over_any_run(times: list[float]) -> None:
    buckets = TokenBuckets(per_minute=30, burst=5)
    times = sorted(times)
    allowed = sum(1 for t in times if buckets.take("k", t) == 0.0)
    span = (times[-1] - times[0]) if times else 0.0
    assert allowed <= 5 + span * 0.5 + 1e-9


def _client(now: list[float]) -> TestClient:
    app = FastAPI()

    @app.get("/api/v1/thing")
    def thing() -> dict[str, bool]:
        return {"ok": True}

    app.add_middleware(ApiRateLimit, per_minute=60, burst=2, clock=lambda: now[0])
    return TestClient(app)


def test_a_token_over_its_rate_gets_429_with_retry_after() -> None:
    now = [100.0]
    client = _client(now)
    headers = {"Authorization": "Bearer psa_one"}
    codes = [client.get("/api/v1/thing", headers=headers).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = client.get("/api/v1/thing", headers=headers)
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/thing", headers={"Authorization": "Bearer psa_two"}).status_code == 200
    now[0] += 1.0
    assert client.get("/api/v1/thing", headers=headers).status_code == 200


def test_requests_without_a_token_are_not_counted_here() -> None:
    client = _client([0.0])
    assert {client.get("/api/v1/thing").status_code for _ in range(5)} == {200}
