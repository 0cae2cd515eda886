"""Availability's lane answers exactly as the route: the same status, type and bytes for plain,
odd and refused requests, for each role, on both databases; it answers the plain ones itself."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.roles import Role
from cloud.core.rate_limit import TokenBuckets
from cloud.reservations.availability_lane import AvailabilityLane, plain_parameters
from tests.cloud.reservations.apps import client_for
from tests.cloud.reservations.conftest import NOW

PATH = "/api/v1/properties/{site}/availability"
STAY = "arrival=2027-03-11&departure=2027-03-14"
QUERIES = [
    STAY, f"{STAY}&adults=3", f"{STAY}&adults=2&children=1", f"{STAY}&room_type=std", f"{STAY}&room_type=",
    f"{STAY}&room_type=nope", f"{STAY}&room_type={'x' * 33}", f"{STAY}&adults=0", f"{STAY}&adults=21",
    f"{STAY}&adults=02", f"{STAY}&adults=+1", f"{STAY}&adults=1.0", f"{STAY}&adults=", f"{STAY}&children=20",
    f"{STAY}&adults=1&adults=2", f"{STAY}&other=1", "arrival=2027-3-11&departure=2027-03-14",
    "arrival=2027-03-11T00:00:00&departure=2027-03-14", "arrival=2027-03-14&departure=2027-03-11",
    "arrival=2027-03-11&departure=2027-03-11", "arrival=2027-02-30&departure=2027-03-02",
    "arrival=2027-03-11", "", "arrival=0001-01-01&departure=0001-01-03",
    "arrival=2027-03-11&departure=2028-03-14",
    "arrival=2027-03-11&arrival=2027-03-12&departure=2027-03-14",
]
SITES = ["hotel", "annex", "nope"]
CREDENTIALS: list[dict[str, str]] = [{}, {"Authorization": "Bearer never-seen"},
                                     {"Authorization": "Basic eDp5"}]


@pytest.fixture
def lane(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Turns the lane on and off, and counts the requests it answered. The per-token rate limit
    (outside the lane, unchanged by it) is lifted: the comparison sends hundreds of requests."""
    monkeypatch.setattr(TokenBuckets, "take", lambda self, key, now: 0.0)
    state: dict[str, Any] = {"on": True, "answered": 0}
    real = AvailabilityLane._answer

    async def answer(self: AvailabilityLane, scope: Any, site: str) -> Any:
        if not state["on"]:
            return None
        found = await real(self, scope, site)
        state["answered"] += found is not None
        return found

    monkeypatch.setattr(AvailabilityLane, "_answer", answer)
    return state


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.MANAGER, Role.HOUSEKEEPING])
def test_the_lane_answers_as_the_route(sessions: sessionmaker[Session], lane: dict[str, Any],
                                       role: Role) -> None:
    """Each query at the staff's property, another one and an unknown one, with the staff's token,
    a token never seen and a credential that is no bearer token: lane on, off, on again."""
    with client_for(sessions, clock=lambda: NOW, role=role) as client:
        differ = []
        for query in QUERIES:
            for where in SITES:
                for headers in CREDENTIALS:
                    answers = []
                    for on in (True, False, True):
                        lane["on"] = on
                        r = client.get(f"{PATH.format(site=where)}?{query}", headers=headers)
                        answers.append((r.status_code, r.headers.get("content-type"), r.content,
                                        r.headers.get("cache-control"), r.headers.get("x-frame-options")))
                    if len(set(answers)) != 1:
                        differ.append((query, where, headers, [a[:3] for a in answers]))
        assert differ == []
        assert lane["answered"] > 2 * len(QUERIES)  # the plain ones and the refusals, by the lane itself
        statuses = {client.get(f"{PATH.format(site='hotel')}?{STAY}").status_code for _ in range(2)}
        assert statuses == ({403} if role is Role.HOUSEKEEPING else {200})


def test_the_lane_refuses_a_revoked_token_at_once(sessions: sessionmaker[Session],
                                                  lane: dict[str, Any]) -> None:
    with client_for(sessions, clock=lambda: NOW) as client:
        url = f"{PATH.format(site='hotel')}?{STAY}"
        assert client.get(url).status_code == 200
        answered = lane["answered"]
        engine = client.app.services.engine  # type: ignore[attr-defined]
        with engine.begin() as conn:
            conn.execute(text("UPDATE api_tokens SET revoked_at = :now"), {"now": NOW})
        refused = client.get(url)
        assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
        assert lane["answered"] == answered + 1


def test_only_plain_parameters_are_read_by_the_lane() -> None:
    assert plain_parameters(f"{STAY}&adults=2&room_type=std") is not None
    for odd in ("arrival=2027-03-11", f"{STAY}&adults=+1", f"{STAY}&adults=2&adults=3", f"{STAY}&children=21",
                "arrival=2027-02-30&departure=2027-03-02", f"{STAY}&room_type={'x' * 33}"):
        assert plain_parameters(odd) is None, odd
