"""The report routes on the real app: the figures, CSV, who may read them, refused input."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.roles import Role
from cloud.cards.issuer import KeyringIssuer
from cloud.core.db import make_sessionmaker
from cloud.keys.storage import KeyDirectory
from cloud.setup.demo import seed_demo
from tests.cloud.reports.shared import Shared, _shared
from tests.cloud.reservations.apps import client_for
from tests.support.db import migrated_engine

NOW = datetime(2027, 3, 1, 15, 30, tzinfo=UTC)  # 16:30 in Madrid
__all__ = ["_shared"]  # the module's app for the tests that write nothing (tests/cloud/reports/shared.py)


class Clock:
    now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(name="sessions")
def _sessions(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    engine = migrated_engine(sqlite_url)
    maker: sessionmaker[Session] = make_sessionmaker(engine)
    with maker.begin() as s:
        seed_demo(s)
    yield maker
    engine.dispose()


@pytest.fixture(name="desk")
def _desk(sessions: sessionmaker[Session], tmp_path: Path) -> Iterator[tuple[TestClient, Clock]]:
    keys = KeyDirectory(tmp_path / "keys").load_or_create(now=NOW - timedelta(days=30))
    clock = Clock()
    with client_for(sessions, clock=clock, issuer=KeyringIssuer(keys), role=Role.MANAGER) as client:
        yield client, clock


def _book(client: TestClient, arrival: str, departure: str, plan: str = "flex") -> str:
    r = client.post("/api/v1/properties/hotel/reservations", json={
        "room_type": "std", "rate_plan": plan, "arrival": arrival, "departure": departure,
        "adults": 1, "guest_name": "Ana"})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_a_checked_in_stay_is_sold_and_its_nights_are_room_revenue(desk: tuple[TestClient, Clock]) -> None:
    client, _ = desk
    stay = _book(client, "2027-03-01", "2027-03-04")
    _book(client, "2027-03-02", "2027-03-03")  # booked: on the books, not sold
    assert client.post(f"/api/v1/reservations/{stay}/check-in").status_code == 200
    params = {"start": "2027-03-01", "end": "2027-03-04", "grain": "day"}
    r = client.get("/api/v1/reports/kpis", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    rows = {row["period"]: row for row in body["rows"]}
    assert rows["2027-03-01"]["rooms_available"] == 20
    assert rows["2027-03-01"]["rooms_sold"] == 1
    assert rows["2027-03-02"]["on_the_books"] == 2 and rows["2027-03-02"]["rooms_sold"] == 1
    assert rows["2027-03-01"]["room_revenue_net"] == 9000 and rows["2027-03-01"]["adr_net"] == 9000
    assert rows["2027-03-01"]["occupancy_pct"] == "5.00"
    assert body["columns"]["adr_net"] == "docs/reports.md#adr"


def test_the_csv_has_the_same_figures(desk: tuple[TestClient, Clock]) -> None:
    client, _ = desk
    stay = _book(client, "2027-03-01", "2027-03-03")
    client.post(f"/api/v1/reservations/{stay}/check-in")
    as_json = client.get("/api/v1/reports/kpis", params={"start": "2027-03-01", "end": "2027-04-01"}).json()
    r = client.get("/api/v1/reports/kpis.csv", params={"start": "2027-03-01", "end": "2027-04-01"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == len(as_json["rows"]) == 1
    for name, value in as_json["rows"][0].items():
        assert rows[0][name] == ("" if value is None else str(value))


def test_pickup_counts_what_was_booked_in_the_window(desk: tuple[TestClient, Clock]) -> None:
    client, clock = desk
    _book(client, "2027-03-10", "2027-03-12")
    clock.now = NOW + timedelta(days=3)
    _book(client, "2027-03-10", "2027-03-11")
    r = client.get("/api/v1/reports/pickup", params={"nights": 10})
    nights = {row["night"]: row for row in r.json()["rows"]}
    assert nights["2027-03-10"]["rooms"] == 2
    assert nights["2027-03-10"]["pickup"] == {"1": 1, "7": 2, "30": 2}
    assert nights["2027-03-11"]["pickup"]["1"] == 0


@pytest.mark.parametrize("role", [Role.HOUSEKEEPING, Role.MAINTENANCE])
def test_housekeeping_and_maintenance_see_no_money(shared: Shared, role: Role) -> None:
    client = shared.clients[role]
    for path in ("/api/v1/reports/kpis", "/api/v1/reports/kpis.csv", "/api/v1/reports/bookings"):
        r = client.get(path, params={"start": "2027-03-01", "end": "2027-04-01"})
        assert r.status_code == 403, path
    assert client.get("/api/v1/reports/pickup").status_code == 403


def test_staff_see_only_their_properties(shared: Shared) -> None:
    client = shared.clients[Role.MANAGER]
    params = {"start": "2027-03-01", "end": "2027-04-01", "site": "other"}
    r = client.get("/api/v1/reports/kpis", params=params)
    assert r.status_code == 403


@pytest.mark.parametrize("params", [
    {"start": "2027-03-05", "end": "2027-03-01"},
    {"start": "2020-01-01", "end": "2027-03-01"},
    {"start": "9999-12-01", "end": "9999-12-31"},
    {"start": "2027-03-01", "end": "2027-04-01", "grain": "hour"},
    {"start": "2027-03-01", "end": "2027-04-01", "dimension": "colour"},
    {"start": "not-a-date", "end": "2027-04-01"},
    {"start": "2027-03-01", "end": "2027-04-01", "site": "Bad Slug!"},
])
def test_bad_requests_are_refused_with_a_problem(shared: Shared, params: dict[str, str]) -> None:
    client = shared.clients[Role.MANAGER]
    r = client.get("/api/v1/reports/kpis", params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.slow
def test_xlsx_and_pdf_exports_carry_the_same_figures(desk: tuple[TestClient, Clock], tmp_path: Path) -> None:
    import subprocess

    from openpyxl import load_workbook

    client, _ = desk
    stay = _book(client, "2027-03-01", "2027-03-03")
    client.post(f"/api/v1/reservations/{stay}/check-in")
    params = {"start": "2027-03-01", "end": "2027-05-01"}
    rows = client.get("/api/v1/reports/kpis", params=params).json()["rows"]
    r = client.get("/api/v1/reports/kpis.xlsx", params=params)
    assert r.status_code == 200
    (tmp_path / "k.xlsx").write_bytes(r.content)
    sheet = load_workbook(tmp_path / "k.xlsx").active
    assert sheet is not None
    table = list(sheet.iter_rows(values_only=True))
    header = list(table[0])
    assert len(table) == len(rows) + 1
    for values, row in zip(table[1:], rows, strict=True):
        got = dict(zip(header, values, strict=True))
        for name, value in row.items():
            want = float(value) if name == "occupancy_pct" and value is not None else value
            assert got[name] == want, name
    r = client.get("/api/v1/reports/kpis.pdf", params=params)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    (tmp_path / "k.pdf").write_bytes(r.content)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "k.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    march = next(row for row in rows if row["period"] == "2027-03")
    assert "2027-03" in text and str(march["room_revenue_net"]) in text and str(march["adr_net"]) in text


def test_every_dimension_splits_the_same_totals(desk: tuple[TestClient, Clock]) -> None:
    client, _ = desk
    stays = (("2027-03-01", "2027-03-03", "flex"), ("2027-03-01", "2027-03-02", "nonref"))
    for arrival, departure, plan in stays:
        stay = _book(client, arrival, departure, plan)
        assert client.post(f"/api/v1/reservations/{stay}/check-in").status_code == 200
    _book(client, "2027-03-20", "2027-03-22")
    params = {"start": "2027-03-01", "end": "2027-04-01"}
    whole = client.get("/api/v1/reports/kpis", params=params).json()["rows"][0]
    values = {}
    for dim in ("room_type", "rate_plan", "channel", "segment", "country", "tier"):
        rows = client.get("/api/v1/reports/kpis", params={**params, "dimension": dim}).json()["rows"]
        for name in ("rooms_sold", "on_the_books", "room_revenue_net"):
            assert sum(r[name] for r in rows) == whole[name], (dim, name)
        values[dim] = sorted(r["value"] for r in rows if r["rooms_sold"] or r["on_the_books"])
    assert values["rate_plan"] == ["flex", "nonref"] and values["room_type"] == ["std"]
    assert values["channel"] == ["direct"] and values["segment"] == ["transient"]
    assert values["tier"] == ["normal"]  # every booking now belongs to a guest profile
    booked = client.get("/api/v1/reports/bookings", params={**params, "grain": "month"}).json()["rows"][0]
    assert booked["reservations"] == 3
    assert booked["length_of_stay"]["1"] == 1 and booked["length_of_stay"]["2"] == 2
