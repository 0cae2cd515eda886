"""Long stays: monthly billing with prorated ends, and cleaning twice a week turned into tasks."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from cloud.core.nights import Stay
from cloud.reservations.long_stays.schedule import schedule, service_days
from tests.cloud.reservations.apps import client_for
from tests.cloud.reservations.conftest import NOW, RecordingIssuer


def test_schedule_prorates_the_first_and_last_months() -> None:
    charges = schedule(Stay(date(2027, 3, 10), date(2027, 6, 20)), billing_day=1, monthly_minor=150000)
    assert [(c.due_on, c.amount_minor) for c in charges] == [
        (date(2027, 3, 10), 106452),
        (date(2027, 4, 1), 150000),
        (date(2027, 5, 1), 150000),
        (date(2027, 6, 1), 95000),
    ]


@given(
    arrival=st.dates(date(2027, 1, 1), date(2029, 1, 1)),
    nights=st.integers(1, 731),
    day=st.integers(1, 28),
    monthly=st.integers(0, 10**7),
)
def test_periods_tile_the_stay_and_never_exceed_the_monthly_rate(
    arrival: date, nights: int, day: int, monthly: int
) -> None:
    stay = Stay(arrival, arrival + timedelta(days=nights))
    charges = schedule(stay, billing_day=day, monthly_minor=monthly)
    assert charges[0].period_start == stay.arrival and charges[-1].period_end == stay.departure
    assert all(a.period_end == b.period_start for a, b in pairwise(charges))
    assert all(0 <= c.amount_minor <= monthly for c in charges)
    assert all(c.due_on.day == day for c in charges[1:])


def test_service_days_skip_arrival_and_departure() -> None:
    days = list(
        service_days(
            Stay(date(2027, 3, 8), date(2027, 3, 22)),
            frozenset({1, 4}),
            start=date(2027, 3, 1),
            until=date(2027, 4, 1),
        )
    )
    assert days == [date(2027, 3, 9), date(2027, 3, 12), date(2027, 3, 16), date(2027, 3, 19)]


def test_contract_through_the_api_and_tasks_generated_once(
    sessions: sessionmaker[Session], issuer: RecordingIssuer
) -> None:
    with client_for(sessions, clock=lambda: NOW, issuer=issuer) as client:
        res = client.post(
            "/api/v1/properties/hotel/reservations",
            json={
                "room_type": "std",
                "rate_plan": "flex",
                "arrival": "2027-03-08",
                "departure": "2027-05-08",
                "guest_name": "Long Stay",
            },
        ).json()
        r = client.post(
            f"/api/v1/reservations/{res['id']}/contract",
            json={
                "monthly_rate_minor": 120000,
                "billing_day": 8,
                "services": [{"kind": "cleaning", "weekdays": [1, 4]}],
            },
        )
        assert r.status_code == 201, r.text
        assert [c["amount_minor"] for c in r.json()["charges"]] == [120000, 120000]
        assert client.get(f"/api/v1/reservations/{res['id']}")
        assert (
            client.post(
                f"/api/v1/reservations/{res['id']}/contract", json={"monthly_rate_minor": 1, "billing_day": 8}
            ).status_code
            == 409
        )
        made = client.post("/api/v1/properties/hotel/tasks/generate", params={"until": "2027-03-22"}).json()
        again = client.post("/api/v1/properties/hotel/tasks/generate", params={"until": "2027-03-22"}).json()
        assert made == {"created": 4} and again == {"created": 0}
        tasks = client.get("/api/v1/properties/hotel/tasks", params={"day": "2027-03-09"}).json()
        assert [(t["kind"], t["room"]) for t in tasks] == [("cleaning", res["rooms"][0]["room"])]


def test_short_stays_get_no_contract(sessions: sessionmaker[Session]) -> None:
    with client_for(sessions, clock=lambda: NOW) as client:
        res = client.post(
            "/api/v1/properties/hotel/reservations",
            json={
                "room_type": "std",
                "rate_plan": "flex",
                "arrival": "2027-03-08",
                "departure": "2027-03-18",
                "guest_name": "Short",
            },
        ).json()
        r = client.post(
            f"/api/v1/reservations/{res['id']}/contract", json={"monthly_rate_minor": 1, "billing_day": 1}
        )
        assert r.status_code == 422
