"""The keycards API: several cards per stay, one revoked alone, encode jobs and desk stations."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.models import AuditEntry
from cloud.auth.roles import Role
from cloud.cards.lifecycle import PICKUP, RESULT
from cloud.commands.models import Command
from cloud.reservations.models import StayCredential
from mqtt.keycard import parse_card
from tests.cloud.cards.stays_support import Clock, cards, checked_in, other_property
from tests.cloud.reservations.apps import client_for
from tests.cloud.reservations.conftest import RecordingIssuer

NEXT = "/api/v1/desk/hotel/desk-1/jobs/next"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(sessions: sessionmaker[Session], issuer: RecordingIssuer, clock: Clock) -> Iterator[TestClient]:
    with client_for(sessions, clock=clock, issuer=issuer) as c:
        yield c


def _result(client: TestClient, job_id: str, body: dict[str, Any], station: str = "desk-1") -> Any:
    return client.post(f"/api/v1/desk/hotel/{station}/jobs/{job_id}/result", json=body)


def _encode(client: TestClient, res_id: str, guest: int = 1) -> dict[str, Any]:
    """Issue (or reuse) the guest's card and queue it for desk-1; returns the claimed job."""
    listed = [c for c in cards(client, res_id) if c["guest"] == guest and c["status"] == "not_encoded"]
    if listed:
        r = client.post(
            f"/api/v1/reservations/{res_id}/cards/{listed[0]['id']}/encode", json={"station": "desk-1"}
        )
    else:
        r = client.post(f"/api/v1/reservations/{res_id}/cards", json={"guest": guest, "station": "desk-1"})
    assert r.status_code == 201, r.text
    job = client.get(NEXT, params={"wait": 0})
    assert job.status_code == 200, job.text
    claimed: dict[str, Any] = job.json()
    return claimed


def test_check_in_issues_card_one_and_a_companion_gets_card_two_of_the_same_sequence(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    res_id = checked_in(client)
    [first] = cards(client, res_id)
    assert first["guest"] == 1 and first["status"] == "not_encoded"
    r = client.post(f"/api/v1/reservations/{res_id}/cards", json={"guest": 2})
    assert r.status_code == 201, r.text
    second = r.json()
    assert (
        second["guest"] == 2 and second["sequence"] == first["sequence"] and second["room"] == first["room"]
    )
    with sessions() as s:
        upserts = [c for c in s.scalars(select(Command).where(Command.type == "credential.upsert"))]
        signed = {c.data["credential_id"]: parse_card(_b64(c.data["card"])).card for c in upserts}
        assert (
            signed[second["id"]].guest == 2 and signed[second["id"]].sequence == signed[first["id"]].sequence
        )
        actions = {(e.action, e.entity_id, e.actor) for e in s.scalars(select(AuditEntry))}
        assert ("card.issue", second["id"], "front_desk-hotel") in actions
        assert ("card.issue", first["id"], "front_desk-hotel") in actions  # check-in by the same desk user


def test_revoking_one_card_sends_one_revocation_and_leaves_the_other(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    res_id = checked_in(client)
    second = client.post(f"/api/v1/reservations/{res_id}/cards", json={"guest": 2}).json()
    first = next(c for c in cards(client, res_id) if c["guest"] == 1)
    r = client.post(f"/api/v1/reservations/{res_id}/cards/{first['id']}/revoke")
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert client.post(f"/api/v1/reservations/{res_id}/cards/{first['id']}/revoke").status_code == 200
    statuses = {c["id"]: c["status"] for c in cards(client, res_id)}
    assert statuses == {first["id"]: "revoked", second["id"]: "not_encoded"}
    with sessions() as s:
        revokes = list(s.scalars(select(Command).where(Command.type == "credential.revoke")))
        assert [c.data["credential_id"] for c in revokes] == [first["id"]]
        revoked = [e for e in s.scalars(select(AuditEntry).where(AuditEntry.action == "card.revoke"))]
        assert [e.entity_id for e in revoked] == [first["id"]]
    # the replacement for the lost card keeps the sequence: card 2 keeps opening
    again = client.post(f"/api/v1/reservations/{res_id}/cards", json={"guest": 1}).json()
    assert again["sequence"] == first["sequence"] and again["id"] != first["id"]


def test_the_desk_agent_gets_the_card_bytes_and_reports_the_tag(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    res_id = checked_in(client)
    assert client.get(NEXT, params={"wait": 0}).status_code == 204
    job = _encode(client, res_id)
    card = parse_card(_b64(job["card"])).card
    assert card.credential_ref == job["credential_id"] and job["guest"] == 1
    done = _result(client, job["id"], {"ok": True, "uid": "04a1b2c3d4e5f6"})
    assert done.status_code == 200 and done.json()["state"] == "encoded"
    [listed] = cards(client, res_id)
    assert listed["status"] == "encoded" and listed["encoded_uid"] == "04a1b2c3d4e5f6"
    with sessions() as s:
        stored = s.get(StayCredential, job["credential_id"])
        assert stored is not None and stored.pending_card is None  # the bytes left the cloud
        assert {
            e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.entity_id == card.credential_ref))
        } >= {"card.issue", "card.encode_request", "card.encoded"}
    again = client.post(
        f"/api/v1/reservations/{res_id}/cards/{listed['id']}/encode", json={"station": "desk-1"}
    )
    assert again.status_code == 409  # already on a tag: a copy is a new card
    stations = client.get("/api/v1/properties/hotel/desk-stations").json()
    assert [(s["name"], s["online"]) for s in stations] == [("desk-1", True)]


def test_a_double_result_is_answered_once_and_a_different_one_refused(client: TestClient) -> None:
    res_id = checked_in(client)
    job = _encode(client, res_id)
    failure = {"ok": False, "reason": "no_tag", "detail": "no tag presented within 20 s"}
    first, repeat = _result(client, job["id"], failure), _result(client, job["id"], failure)
    assert first.status_code == repeat.status_code == 200 and first.json() == repeat.json()
    conflict = _result(client, job["id"], {"ok": True, "uid": "04a1b2c3"})
    assert conflict.status_code == 409 and conflict.json()["type"] == "/problems/cards/result-conflict"
    [listed] = cards(client, res_id)
    assert (
        listed["status"] == "failed" and listed["job"]["reason"] == "no_tag" and listed["encoded_uid"] is None
    )


def test_an_expired_job_is_not_handed_out_and_takes_no_result(client: TestClient, clock: Clock) -> None:
    res_id = checked_in(client)
    card_id = cards(client, res_id)[0]["id"]
    assert (
        client.post(
            f"/api/v1/reservations/{res_id}/cards/{card_id}/encode", json={"station": "desk-1"}
        ).status_code
        == 201
    )
    clock.advance(PICKUP.total_seconds())
    assert client.get(NEXT, params={"wait": 0}).status_code == 204
    [listed] = cards(client, res_id)
    assert listed["status"] == "failed" and listed["job"]["state"] == "expired"
    assert listed["job"]["reason"] == "not_picked_up"
    # a claimed job answered too late is refused, and the card can be encoded again
    job = _encode(client, res_id)
    clock.advance(RESULT.total_seconds() + 1)
    late = _result(client, job["id"], {"ok": True, "uid": "04a1b2c3"})
    assert late.status_code == 409 and late.json()["type"] == "/problems/cards/job-gone"
    assert cards(client, res_id)[0]["status"] == "failed"


HOSTILE: list[Any] = [
    {"ok": True},  # no uid
    {"ok": True, "uid": "04A1B2C3"},  # uppercase
    {"ok": True, "uid": "04a1b2"},  # 3 bytes
    {"ok": True, "uid": "04a1b2c3", "reason": "no_tag"},
    {"ok": "yes", "uid": "04a1b2c3"},
    {"ok": False},
    {"ok": False, "reason": "rm -rf"},
    {"ok": False, "reason": "no_tag", "uid": "04a1b2c3"},
    {"ok": False, "reason": "no_tag", "detail": "x" * 201},
    {"ok": False, "reason": "no_tag", "detail": "bell\x07"},
    {"ok": True, "uid": "04a1b2c3", "extra": 1},
    [1, 2, 3],
    "04a1b2c3",
]


def test_hostile_results_are_refused_and_change_nothing(client: TestClient) -> None:
    res_id = checked_in(client)
    job = _encode(client, res_id)
    for body in HOSTILE:
        r = _result(client, job["id"], body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    raw = client.post(
        f"/api/v1/desk/hotel/desk-1/jobs/{job['id']}/result",
        content=b"\xff\xfe{",
        headers={"content-type": "application/json"},
    )
    assert raw.status_code in (400, 422)
    assert cards(client, res_id)[0]["status"] == "encoding"
    assert _result(client, job["id"], {"ok": True, "uid": "04a1b2c3"}).status_code == 200


def test_another_station_cannot_take_or_answer_a_job(client: TestClient) -> None:
    res_id = checked_in(client)
    job = _encode(client, res_id)
    assert _result(client, job["id"], {"ok": True, "uid": "04a1b2c3"}, station="desk-2").status_code == 404
    assert client.get("/api/v1/desk/hotel/bad_name!/jobs/next", params={"wait": 0}).status_code == 422
    card_id = cards(client, res_id)[0]["id"]
    assert (
        client.post(
            f"/api/v1/reservations/{res_id}/cards", json={"guest": 2, "station": "desk-1"}
        ).status_code
        == 201
    )
    assert client.get("/api/v1/desk/hotel/desk-2/jobs/next", params={"wait": 0}).status_code == 204
    assert card_id


def test_staff_of_another_property_get_no_card_bytes(
    client: TestClient, sessions: sessionmaker[Session], issuer: RecordingIssuer, clock: Clock
) -> None:
    res_id = checked_in(client)
    card_id = cards(client, res_id)[0]["id"]
    client.post(f"/api/v1/reservations/{res_id}/cards/{card_id}/encode", json={"station": "desk-1"})
    other_property(sessions)
    with client_for(sessions, clock=clock, issuer=issuer, site="other") as other:
        assert other.get(NEXT, params={"wait": 0}).status_code == 403
        assert other.get("/api/v1/desk/other/desk-1/jobs/next", params={"wait": 0}).status_code == 204
        assert other.get(f"/api/v1/reservations/{res_id}/cards").status_code == 403
        assert other.post(f"/api/v1/reservations/{res_id}/cards/{card_id}/revoke").status_code == 403
    assert client.get(NEXT, params={"wait": 0}).status_code == 200  # still there for its own station


def test_wrong_roles_and_browser_sessions_are_refused(
    client: TestClient, sessions: sessionmaker[Session], issuer: RecordingIssuer, clock: Clock
) -> None:
    res_id = checked_in(client)
    with client_for(sessions, clock=clock, issuer=issuer, role=Role.HOUSEKEEPING) as housekeeping:
        assert housekeeping.get(NEXT, params={"wait": 0}).status_code == 403
        assert housekeeping.get(f"/api/v1/reservations/{res_id}/cards").status_code == 403
        assert housekeeping.post(f"/api/v1/reservations/{res_id}/cards", json={"guest": 2}).status_code == 403
    assert client.get(NEXT, params={"wait": 0}, headers={"Authorization": ""}).status_code == 401


def test_issuing_is_idempotent_by_key_and_refused_before_check_in(client: TestClient) -> None:
    res_id = checked_in(client)
    headers = {"Idempotency-Key": "card-2"}
    first = client.post(f"/api/v1/reservations/{res_id}/cards", json={"guest": 2}, headers=headers)
    again = client.post(f"/api/v1/reservations/{res_id}/cards", json={"guest": 2}, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert len(cards(client, res_id)) == 2
    assert client.post(f"/api/v1/reservations/{res_id}/cards", json={"guest": 0}).status_code == 422
    assert client.post(f"/api/v1/reservations/{res_id}/cards", json={"guest": 256}).status_code == 422
    booked = client.post(
        "/api/v1/properties/hotel/reservations",
        json={
            "room_type": "std",
            "rate_plan": "flex",
            "arrival": "2027-03-05",
            "departure": "2027-03-06",
            "adults": 1,
            "guest_name": "Li Wei",
        },
    ).json()
    r = client.post(f"/api/v1/reservations/{booked['id']}/cards", json={"guest": 1})
    assert r.status_code == 409


def test_check_out_revokes_every_card_and_cancels_open_jobs(client: TestClient) -> None:
    res_id = checked_in(client)
    client.post(f"/api/v1/reservations/{res_id}/cards", json={"guest": 2, "station": "desk-1"})
    r = client.post(f"/api/v1/reservations/{res_id}/check-out", json={"settle": "bill_later"})
    assert r.status_code == 200, r.text
    assert {c["status"] for c in cards(client, res_id)} == {"revoked"}
    assert client.get(NEXT, params={"wait": 0}).status_code == 204


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
