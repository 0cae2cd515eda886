"""Group blocks: held until release, rooming list all-or-nothing, mass check-in with keys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog import service as catalog
from cloud.commands.models import Command
from cloud.reservations.errors import SoldOut
from cloud.reservations.groups import service as groups
from cloud.reservations.models import Reservation
from cloud.reservations.sales import booking
from cloud.reservations.sales.booking import Booking
from tests.cloud.reservations.apps import client_for
from tests.cloud.reservations.conftest import NOW, RecordingIssuer
from tests.cloud.reservations.invariants import check_invariants

ARRIVAL, DEPARTURE = date(2027, 5, 10), date(2027, 5, 13)
BLOCK = {
    "name": "Congreso",
    "kind": "event",
    "arrival": "2027-05-10",
    "departure": "2027-05-13",
    "release_on": "2027-04-20",
    "rate_plan": "flex",
    "rooms": {"std": 3, "sup": 1},
}


@pytest.fixture
def client(sessions: sessionmaker[Session], issuer: RecordingIssuer) -> Iterator[TestClient]:
    clock = {"now": NOW}
    with client_for(sessions, clock=lambda: clock["now"], issuer=issuer) as c:
        c.clock = clock  # type: ignore[attr-defined]
        yield c


def _public(session: Session, type_: str = "ste") -> Booking:
    return Booking(
        property="hotel",
        room_type=type_,
        rate_plan="flex",
        arrival=ARRIVAL,
        departure=DEPARTURE,
        guest_name="Walk-in",
    )


def test_block_holds_rooms_from_general_sale_until_released(session: Session) -> None:
    prop = catalog.get_property(session, "hotel")
    block = groups.create_block(
        session,
        prop,
        name="Boda",
        kind="group",
        arrival=ARRIVAL,
        departure=DEPARTURE,
        release_on=date(2027, 4, 20),
        rate_plan="flex",
        rooms={"ste": 2},
        now=NOW,
    )
    with pytest.raises(SoldOut):
        booking.book(session, _public(session), now=NOW)
    assert groups.release_due(session, now=datetime(2027, 4, 19, 12, tzinfo=UTC)) == 0
    assert groups.release_due(session, now=datetime(2027, 4, 20, 12, tzinfo=UTC)) == 2
    assert block.released_at is not None
    booking.book(session, _public(session), now=NOW)
    check_invariants(session)


def test_rooming_list_books_into_the_block_and_bad_rows_import_nothing(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    block = client.post("/api/v1/properties/hotel/blocks", json=BLOCK).json()
    bad = "guest_name,room_type\nAna,std\nBo,std\nCy,std\nDi,std\n"  # four std for three held
    r = client.post(
        f"/api/v1/blocks/{block['id']}/rooming-list",
        content=bad.encode(),
        headers={"content-type": "text/csv"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["line"] == 5
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Reservation)) == 0
    good = "guest_name,room_type,adults\nAna,std,2\nBo,std,1\nCy,sup,3\n"
    r = client.post(
        f"/api/v1/blocks/{block['id']}/rooming-list",
        content=good.encode(),
        headers={"content-type": "text/csv", "Idempotency-Key": "list-1"},
    )
    assert r.status_code == 201 and len(r.json()) == 3 and all(x["rooms"] for x in r.json())
    again = client.post(
        f"/api/v1/blocks/{block['id']}/rooming-list",
        content=good.encode(),
        headers={"content-type": "text/csv", "Idempotency-Key": "list-1"},
    )
    assert again.json() == r.json()
    held = {
        a["room_type"]: (a["held"], a["picked"])
        for a in client.get(f"/api/v1/blocks/{block['id']}").json()["allotments"]
    }
    assert held == {"std": (3, 2), "sup": (1, 1)}
    with sessions() as s:
        check_invariants(s)


def test_mass_check_in_keys_every_room_of_the_group(
    client: TestClient, sessions: sessionmaker[Session], issuer: RecordingIssuer
) -> None:
    block = client.post("/api/v1/properties/hotel/blocks", json=BLOCK).json()
    client.post(
        f"/api/v1/blocks/{block['id']}/rooming-list",
        content=b"guest_name,room_type\nAna,std\nBo,sup\n",
        headers={"content-type": "text/csv"},
    )
    client.clock["now"] = datetime(2027, 5, 10, 8, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    early = client.post(f"/api/v1/blocks/{block['id']}/check-in")
    assert early.status_code == 409 and len(early.json()["failures"]) == 2  # rooms not reported ready
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Command)) == 0
    client.clock["now"] = datetime(2027, 5, 10, 14, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    r = client.post(f"/api/v1/blocks/{block['id']}/check-in")
    assert r.status_code == 200 and len(r.json()["reservations"]) == 2
    with sessions() as s:
        upserts = s.scalars(select(Command).where(Command.type == "credential.upsert")).all()
        assert len(upserts) == 2 and len(issuer.requests) >= 2
        statuses = s.scalars(select(Reservation.status)).all()
        assert statuses == ["checked_in", "checked_in"]


def test_a_block_larger_than_the_hotel_is_refused(client: TestClient) -> None:
    r = client.post("/api/v1/properties/hotel/blocks", json={**BLOCK, "rooms": {"ste": 3}})
    assert r.status_code == 409 and r.json()["type"] == "/problems/reservations/sold-out"
    r = client.post("/api/v1/properties/hotel/blocks", json={**BLOCK, "release_on": "2027-06-01"})
    assert r.status_code == 422
