"""Booking's lane answers as the route: the same status, type and body for plain, odd and refused
requests, for each role, on both databases; an Idempotency-Key's retry is answered once whichever
of the two took the first request; the lane answers the plain ones itself."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.models import AuditEntry, StaffUser
from cloud.auth.roles import Role
from cloud.core.rate_limit import TokenBuckets
from cloud.reservations.booking_lane import BookingLane, parsed
from cloud.reservations.models import Reservation
from tests.cloud.reservations.apps import client_for
from tests.cloud.reservations.conftest import NOW

PATH = "/api/v1/properties/{site}/reservations"
BODY = {"room_type": "std", "rate_plan": "flex", "arrival": "2027-03-11", "departure": "2027-03-14",
        "adults": 2, "guest_name": "Ana Ruiz", "guest_email": "ana@example.com"}
# bodies the lane reads and the route refuses or answers; and bodies only the route reads
BODIES: list[Any] = [
    BODY, {**BODY, "preferences": {"view": "sea"}}, {**BODY, "room_type": "nope"},
    {**BODY, "rate_plan": "nope"},
    {**BODY, "adults": 9}, {**BODY, "arrival": "2027-02-01", "departure": "2027-02-03"},
    {**BODY, "arrival": "2027-03-14", "departure": "2027-03-11"}, {**BODY, "guest_id": "0" * 26},
    {**BODY, "block_id": "nope"}, {**BODY, "guest_language": "zh", "notes": "late"},
    {**BODY, "adults": 0}, {**BODY, "adults": "2"}, {**BODY, "adults": 2.5}, {**BODY, "other": 1},
    {**BODY, "guest_email": "nope"}, {**BODY, "room_type": "x" * 33}, {**BODY, "preferences": {"x": 1}},
    {**BODY, "arrival": "2027-3-11"}, {k: v for k, v in BODY.items() if k != "guest_name"}, [BODY], "x", None,
]
RAW = [b"", b"{", b"\xff", b'{"room_type": NaN}', json.dumps(BODY).encode() + b" x"]
SITES = ["hotel", "annex", "nope"]
CREDENTIALS: list[dict[str, str]] = [{}, {"Authorization": "Bearer never-seen"},
                                     {"Authorization": "Basic eDp5"}]
VARYING = ("id", "guest_id", "created_at", "rooms")  # a new booking's own


@pytest.fixture
def lane(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Turns the lane on and off, and counts the requests it answered; the per-token rate limit
    (outside the lane) is lifted."""
    monkeypatch.setattr(TokenBuckets, "take", lambda self, key, now: 0.0)
    state: dict[str, Any] = {"on": True, "answered": 0}
    real = BookingLane._answer

    async def answer(self: BookingLane, scope: Any, site: str, raw: bytes) -> Any:
        if not state["on"]:
            return None
        found = await real(self, scope, site, raw)
        state["answered"] += found is not None
        return found

    monkeypatch.setattr(BookingLane, "_answer", answer)
    return state


def _seen(r: Any) -> tuple[Any, ...]:
    """What the client sees, less what every new booking has of its own."""
    body: Any = r.content
    if r.status_code == 201:
        body = {k: v for k, v in r.json().items() if k not in VARYING}
    return (r.status_code, r.headers.get("content-type"), body, r.headers.get("cache-control"),
            r.headers.get("x-frame-options"))


def _post(client: TestClient, site: str, content: bytes, headers: dict[str, str]) -> Any:
    return client.post(PATH.format(site=site), content=content,
                       headers={"content-type": "application/json", **headers})


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.MANAGER, Role.HOUSEKEEPING])
def test_the_lane_answers_as_the_route(sessions: sessionmaker[Session], lane: dict[str, Any],
                                       role: Role) -> None:
    """Each body at the staff's property, another one and an unknown one, with the staff's token,
    a token never seen and a credential that is no bearer token: lane on, then off."""
    with client_for(sessions, clock=lambda: NOW, role=role) as client:
        differ, made = [], 0
        contents = [json.dumps(b).encode() for b in BODIES] + RAW
        for n, content in enumerate(contents):
            for where in SITES:
                for headers in CREDENTIALS:
                    answers = []
                    for on in (True, False):
                        lane["on"] = on
                        made += 1
                        answers.append(_seen(_post(client, where, content, {**headers,
                                                                           "Idempotency-Key": f"k{made}"})))
                    if answers[0] != answers[1]:
                        differ.append((n, where, headers, answers))
        assert differ == []
        assert lane["answered"] > len(BODIES)  # the bookings and the refusals, by the lane itself
        booked = _post(client, "hotel", json.dumps(BODY).encode(), {}).status_code
        assert booked == (403 if role is Role.HOUSEKEEPING else 201)


def test_other_content_types_and_long_keys_go_to_the_route(sessions: sessionmaker[Session],
                                                           lane: dict[str, Any]) -> None:
    with client_for(sessions, clock=lambda: NOW) as client:
        for kind in ("text/plain", "application/json; charset=utf-8", "application/vnd.x+json"):
            answers = []
            for on in (True, False):
                lane["on"] = on
                r = client.post(PATH.format(site="hotel"), content=json.dumps(BODY).encode(),
                                headers={"content-type": kind})
                answers.append(_seen(r))
            assert answers[0] == answers[1], kind
        lane["on"], answered = True, lane["answered"]
        r = _post(client, "hotel", json.dumps(BODY).encode(), {"Idempotency-Key": "k" * 256})
        assert r.status_code == 422 and lane["answered"] == answered


@pytest.mark.parametrize("first_on", [True, False])
def test_a_retry_is_answered_once_whichever_took_the_first(sessions: sessionmaker[Session],
                                                           lane: dict[str, Any], first_on: bool) -> None:
    with client_for(sessions, clock=lambda: NOW) as client:
        content = json.dumps(BODY).encode()
        lane["on"] = first_on
        first = _post(client, "hotel", content, {"Idempotency-Key": "once"})
        lane["on"] = not first_on
        again = _post(client, "hotel", content, {"Idempotency-Key": "once"})
        lane["on"] = first_on
        third = _post(client, "hotel", content, {"Idempotency-Key": "once"})
        assert first.status_code == again.status_code == third.status_code == 201
        assert first.json() == again.json() == third.json()  # PostgreSQL's jsonb keeps its own key order
        changed = json.dumps({**BODY, "adults": 1}).encode()
        other = _post(client, "hotel", changed, {"Idempotency-Key": "once"})
        lane["on"] = not first_on
        other_route = _post(client, "hotel", changed, {"Idempotency-Key": "once"})
        assert other.status_code == other_route.status_code == 422
        assert other.content == other_route.content
        with sessions() as s:
            assert s.scalar(select(func.count()).select_from(Reservation)
                            .where(Reservation.id == first.json()["id"])) == 1


def test_only_valid_json_bodies_are_read_by_the_lane() -> None:
    assert parsed(json.dumps(BODY).encode()) is not None
    for odd in (b"", b"{", b"[]", b"\xff", json.dumps({**BODY, "adults": 0}).encode(),
                json.dumps({**BODY, "other": 1}).encode()):
        assert parsed(odd) is None, odd


def test_a_known_token_revoked_is_refused_at_once_and_nothing_is_written(
        sessions: sessionmaker[Session], lane: dict[str, Any]) -> None:
    """The principal is checked in the booking's transaction for a token seen before: a revoked one
    is a 401 (not the stored answer of its key), and the booking it asked for is not written."""
    with client_for(sessions, clock=lambda: NOW) as client:
        content = json.dumps(BODY).encode()
        first = _post(client, "hotel", content, {"Idempotency-Key": "before"})
        assert first.status_code == 201
        with sessions() as s:
            count = s.scalar(select(func.count()).select_from(Reservation))
        answered = lane["answered"]
        with sessions.begin() as s:
            s.execute(text("UPDATE api_tokens SET revoked_at = :now"), {"now": NOW})
        for key in ("before", "after"):
            refused = _post(client, "hotel", content, {"Idempotency-Key": key})
            assert refused.status_code == 401, refused.content
            assert refused.headers["content-type"] == "application/problem+json"
        assert lane["answered"] == answered + 2
        with sessions() as s:
            assert s.scalar(select(func.count()).select_from(Reservation)) == count


def test_the_trail_names_the_staff_member_who_booked_through_the_lane(sessions: sessionmaker[Session],
                                                                      lane: dict[str, Any]) -> None:
    with client_for(sessions, clock=lambda: NOW) as client:
        ids = []
        for n in range(2):  # the first resolves the token, the second is checked in its transaction
            r = _post(client, "hotel", json.dumps(BODY).encode(), {"Idempotency-Key": f"trail{n}"})
            assert r.status_code == 201
            ids.append(r.json()["id"])
        assert lane["answered"] == 2
    with sessions() as s:
        users = {s.scalar(select(StaffUser.id).where(StaffUser.username == "front_desk-hotel"))}
        for reservation_id in ids:
            entries = s.execute(select(AuditEntry.actor_id, AuditEntry.actor, AuditEntry.role)
                                .where(AuditEntry.entity_id == reservation_id)).all()
            assert entries and {e.actor_id for e in entries} == users, entries
            assert {(e.actor, e.role) for e in entries} == {("front_desk-hotel", "front_desk")}
