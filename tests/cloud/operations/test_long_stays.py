"""Long stays billed by contract on the real app: the folio is charged per period (rent, services as
agreed, electricity by reading), invoiced with the property's taxes, the statement emailed; arrears and
payments shown; notice prorates the last period and frees the nights; a renewal holds the room again;
parcels handed over against a signature; bad input refused with nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.notify.models import OutboxMessage
from cloud.operations.long_stays.models import MeterReading
from cloud.operations.long_stays.worker import ContractBiller
from cloud.reservations.models import RoomAllocation, StayCredential
from tests.cloud.operations.conftest import Clock

# One contract walked through its months, on the package's one app: one worker, in order.
pytestmark = pytest.mark.xdist_group("operations-app")
BASE = "/api/v1/properties/hotel"
TERMS = {
    "cycle": "monthly",
    "rate_minor": 120000,
    "billing_day": 1,
    "deposit_minor": 50000,
    "notice_days": 10,
    "utilities": {"electricity": 25},
    "services": [{"kind": "cleaning", "weekdays": [1], "price_minor": 1500}],
}


def _book(client: TestClient, arrival: str, departure: str, **more: Any) -> str:
    r = client.post(
        f"{BASE}/reservations",
        json={
            "room_type": "std",
            "rate_plan": "flex",
            "arrival": arrival,
            "departure": departure,
            "adults": 1,
            "guest_name": "Greta",
            "guest_email": "greta@guest.test",
            "guest_language": "es",
            **more,
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.fixture(scope="module", name="stay")
def _stay(manager: TestClient) -> str:
    stay = _book(manager, "2027-03-01", "2027-05-01")
    r = manager.post(f"{BASE}/long-stays/{stay}", json=TERMS)
    assert r.status_code == 201, r.text
    assert [s["rent_minor"] for s in r.json()["schedule"]] == [120000, 120000]
    assert manager.post(f"/api/v1/reservations/{stay}/check-in").status_code == 200
    return stay


@pytest.fixture(name="april")
def _april(clock: Clock) -> Iterator[Clock]:
    clock.now += timedelta(days=31)  # 2027-04-01
    try:
        yield clock
    finally:
        clock.now -= timedelta(days=31)


def _folio(client: TestClient, stay: str) -> dict[str, Any]:
    folio: dict[str, Any] = client.get(f"/api/v1/reservations/{stay}/folio").json()
    return folio


def _bill(client: TestClient, sessions: sessionmaker[Session], clock: Clock) -> int:
    services = client.app.services  # type: ignore[attr-defined]
    biller = ContractBiller(sessions, clock=clock, billing=services.settings.billing, issuer=services.issuer)
    return biller.run_once()


def test_a_contract_stay_is_billed_per_period_not_per_night_and_the_statement_is_emailed(
    manager: TestClient, stay: str, sessions: sessionmaker[Session], clock: Clock
) -> None:
    assert not [c for c in _folio(manager, stay)["charges"] if c["kind"] == "room_night"]
    r = manager.post(
        f"{BASE}/long-stays/{stay}/readings",
        json={"meter": "electricity", "reading": 1000, "read_on": "2027-03-01"},
    )
    assert r.status_code == 201, r.text
    assert manager.post(f"{BASE}/long-stay-billing-runs").json() == {"billed": 1}
    assert _bill(manager, sessions, clock) == 0  # a period is billed once
    view = manager.get(f"{BASE}/long-stays/{stay}").json()
    (bill,) = view["bills"]
    assert (bill["rent_minor"], bill["services_minor"], bill["utilities_minor"]) == (120000, 5 * 1500, 0)
    assert bill["invoice"] and bill["gross_minor"] >= 127500  # the property's taxes on top, or included
    kinds = sorted(c["kind"] for c in _folio(manager, stay)["charges"])
    assert kinds == ["rent", "services"]
    with sessions() as s:
        mail = s.scalar(
            select(OutboxMessage).where(
                OutboxMessage.dedupe_key.like("long-stay-statement:%"),
                OutboxMessage.recipient_bidx == "greta@guest.test",
            )
        )
    assert mail is not None and mail.channel == "email" and mail.language == "es"
    assert bill["invoice"] in mail.payload["text"] and "alquiler 1200.00" in mail.payload["text"]


def test_the_next_period_bills_electricity_by_reading_and_shows_arrears(
    manager: TestClient, stay: str, sessions: sessionmaker[Session], april: Clock
) -> None:
    r = manager.post(
        f"{BASE}/long-stays/{stay}/readings",
        json={"meter": "electricity", "reading": 1300, "read_on": "2027-03-31"},
    )
    assert r.status_code == 201, r.text
    assert _bill(manager, sessions, april) == 1
    view = manager.get(f"{BASE}/long-stays/{stay}").json()
    first, second = view["bills"]
    assert (second["rent_minor"], second["utilities_minor"], second["services_minor"]) == (
        120000,
        300 * 25,
        4 * 1500,
    )
    assert view["arrears_minor"] == first["gross_minor"]  # March unpaid past its grace days
    folio = _folio(manager, stay)
    paid = manager.post(
        f"/api/v1/folios/{folio['id']}/payments",
        json={
            "amount": {"amount": f"{first['gross_minor'] / 100:.2f}", "currency": "EUR"},
            "method": "cash",
            "stage": "stay",
        },
        headers={"Idempotency-Key": f"march-{stay}"},
    )
    assert paid.status_code == 201, paid.text
    view = manager.get(f"{BASE}/long-stays/{stay}").json()
    assert view["arrears_minor"] == 0 and view["balance_minor"] == second["gross_minor"] and view["payments"]
    for lang, word in (("en", "In arrears"), ("es", "Atrasos"), ("zh-Hans", "逾期欠款")):
        page = manager.get(f"/operations/long-stays/hotel/{stay}", headers={"Accept-Language": lang})
        assert page.status_code == 200 and word in page.text, lang
        listing = manager.get("/operations/long-stays", headers={"Accept-Language": lang})
        assert listing.status_code == 200 and f'data-reservation="{stay}"' in listing.text


def test_notice_prorates_the_last_period_and_frees_the_nights_then_a_renewal_holds_them_again(
    manager: TestClient, stay: str, sessions: sessionmaker[Session], april: Clock
) -> None:
    short = manager.post(f"{BASE}/long-stays/{stay}/end", json={"on": "2027-04-05"})
    assert short.status_code == 422 and short.json()["reason"] == "notice"  # 10 days' notice
    assert manager.get(f"{BASE}/long-stays/{stay}").json()["departure"] == "2027-05-01"
    r = manager.post(f"{BASE}/long-stays/{stay}/end", json={"on": "2027-04-15"})
    assert r.status_code == 200, r.text
    assert r.json()["departure"] == "2027-04-15"
    with sessions() as s:
        ends = s.scalars(select(RoomAllocation.end_night).where(RoomAllocation.reservation_id == stay)).all()
    assert max(ends).isoformat() == "2027-04-15"  # the rest is back on sale
    _bill(manager, sessions, april)
    april_bill = manager.get(f"{BASE}/long-stays/{stay}").json()["bills"][1]
    assert april_bill["rent_minor"] == 120000 * 14 // 30  # 14 of April's 30 nights
    corrections = [c for c in _folio(manager, stay)["charges"] if c["kind"] == "rent" and c["discount"]]
    assert [c["unit_minor"] for c in corrections] == [120000 - 56000]
    with sessions() as s:
        live = (StayCredential.reservation_id == stay, StayCredential.revoked_at.is_(None))
        cards = s.scalars(select(StayCredential.valid_until).where(*live)).all()
    assert [c.date().isoformat() for c in cards] == ["2027-04-15"]  # notice re-keyed the cards to the new end
    renewed = manager.post(f"{BASE}/long-stays/{stay}/renew", json={"until": "2027-04-20"})
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["departure"] == "2027-04-20" and renewed.json()["ends_on"] is None
    with sessions() as s:
        ends = s.scalars(select(RoomAllocation.end_night).where(RoomAllocation.reservation_id == stay)).all()
    assert max(ends).isoformat() == "2027-04-20"
    with sessions() as s:
        live = (StayCredential.reservation_id == stay, StayCredential.revoked_at.is_(None))
        cards = s.scalars(select(StayCredential.valid_until).where(*live)).all()
    assert [c.date().isoformat() for c in cards] == ["2027-04-20"]  # and the renewal to the renewed end
    _bill(manager, sessions, april)  # the renewed period owes 19 nights: the difference goes back on
    assert manager.get(f"{BASE}/long-stays/{stay}").json()["bills"][1]["rent_minor"] == 120000 * 19 // 30


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("readings", {"meter": "electricity", "reading": 900, "read_on": "2027-04-02"}, 422),  # backwards
        ("readings", {"meter": "water", "reading": 5, "read_on": "2027-03-10"}, 422),  # no water meter
        ("readings", {"meter": "electricity", "reading": -1, "read_on": "2027-03-10"}, 422),
        ("readings", {"meter": "electricity", "reading": 2000, "read_on": "2027-03-10", "extra": 1}, 422),
        ("renew", {"until": "2027-03-10"}, 422),
        ("end", {"on": "not-a-date"}, 422),
    ],
)
def test_bad_contract_input_is_refused_and_changes_nothing(
    manager: TestClient,
    stay: str,
    sessions: sessionmaker[Session],
    path: str,
    body: dict[str, Any],
    status: int,
) -> None:
    before = manager.get(f"{BASE}/long-stays/{stay}").json()
    with sessions() as s:
        readings = s.scalar(select(func.count()).select_from(MeterReading))
    r = manager.post(f"{BASE}/long-stays/{stay}/{path}", json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert manager.get(f"{BASE}/long-stays/{stay}").json() == before
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(MeterReading)) == readings


def test_contracts_are_refused_for_short_or_in_house_stays_and_bad_terms(
    manager: TestClient, stay: str
) -> None:
    short = _book(manager, "2027-06-01", "2027-06-10")
    assert manager.post(f"{BASE}/long-stays/{short}", json=TERMS).status_code == 422
    assert manager.post(f"{BASE}/long-stays/{stay}", json=TERMS).status_code == 409  # in house: nights posted
    long = _book(manager, "2027-07-01", "2027-08-15")
    for bad in (
        {**TERMS, "rate_minor": -5},
        {**TERMS, "cycle": "daily"},
        {**TERMS, "utilities": {"oil": 3}},
        {**TERMS, "billing_day": 31},
    ):
        r = manager.post(f"{BASE}/long-stays/{long}", json=bad)
        assert r.status_code == 422, (bad, r.text)
    weekly = manager.post(f"{BASE}/long-stays/{long}", json={**TERMS, "cycle": "weekly", "rate_minor": 35000})
    assert weekly.status_code == 201, weekly.text
    rents = [s["rent_minor"] for s in weekly.json()["schedule"]]
    assert rents[:6] == [35000] * 6 and rents[-1] == (35000 * 3 + 3) // 7  # 45 nights: six weeks and 3 nights


def test_a_parcel_is_logged_and_handed_over_once_against_a_signature(manager: TestClient, stay: str) -> None:
    r = manager.post(
        f"{BASE}/parcels", json={"reservation_id": stay, "carrier": "Correos", "description": "Box"}
    )
    assert r.status_code == 201, r.text
    parcel = r.json()["id"]
    bad = manager.post(
        f"{BASE}/parcels/{parcel}/hand-over",
        json={"signed_by": "Greta", "signature_svg": "<script>alert(1)</script>"},
    )
    assert bad.status_code == 422
    assert manager.get(f"{BASE}/parcels", params={"reservation_id": stay}).json()[0]["handed_at"] is None
    sign = {"signed_by": "Greta", "signature_svg": "M10 10 L20 25 C30 40 50 40 60 10"}
    done = manager.post(f"{BASE}/parcels/{parcel}/hand-over", json=sign)
    assert done.status_code == 200 and done.json()["signed_by"] == "Greta"
    assert manager.post(f"{BASE}/parcels/{parcel}/hand-over", json=sign).status_code == 409


def test_the_contract_page_shows_a_refused_reading_in_the_desks_language(
    manager: TestClient, stay: str, sessions: sessionmaker[Session]
) -> None:
    with sessions() as s:
        readings = s.scalar(select(func.count()).select_from(MeterReading))
    r = manager.post(
        f"/operations/long-stays/hotel/{stay}/reading",
        headers={"Accept-Language": "es"},
        data={"meter": "electricity", "reading": "5", "read_on": "2027-03-20"},
        follow_redirects=False,
    )
    assert r.status_code == 422 and "no menor" in r.text, r.text[-600:]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(MeterReading)) == readings
    ok = manager.post(
        f"/operations/long-stays/hotel/{stay}/parcel",
        data={"carrier": "DHL", "description": "Sobre"},
        follow_redirects=False,
    )
    assert ok.status_code == 303


def test_an_automatic_renewal_runs_on_for_a_cycle_when_no_notice_came(
    manager: TestClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    stay = _book(manager, "2027-03-01", "2027-03-29")
    terms = {**TERMS, "auto_renew": True, "services": []}
    assert manager.post(f"{BASE}/long-stays/{stay}", json=terms).status_code == 201
    assert manager.post(f"/api/v1/reservations/{stay}/check-in").status_code == 200
    _bill(manager, sessions, clock)
    assert manager.get(f"{BASE}/long-stays/{stay}").json()["departure"] == "2027-03-29"  # 28 days ahead
    clock.now += timedelta(days=20)  # 2027-03-21: within the 10 days' notice of the end
    try:
        _bill(manager, sessions, clock)
    finally:
        clock.now -= timedelta(days=20)
    view = manager.get(f"{BASE}/long-stays/{stay}").json()
    assert view["departure"] == "2027-04-29"
    with sessions() as s:
        live = (StayCredential.reservation_id == stay, StayCredential.revoked_at.is_(None))
        cards = s.scalars(select(StayCredential.valid_until).where(*live)).all()
    assert [c.date().isoformat() for c in cards] == ["2027-04-29"]  # the guest's card runs on too
    assert [s["period_end"] for s in view["schedule"]][-1] == "2027-04-29"


def test_a_contract_with_only_a_monthly_rate_is_billed_by_it_too(
    manager: TestClient, sessions: sessionmaker[Session], clock: Clock
) -> None:
    stay = _book(manager, "2027-03-01", "2027-04-15")
    r = manager.post(
        f"/api/v1/reservations/{stay}/contract", json={"monthly_rate_minor": 90000, "billing_day": 1}
    )
    assert r.status_code == 201, r.text
    assert manager.post(f"/api/v1/reservations/{stay}/check-in").status_code == 200
    assert not [c for c in _folio(manager, stay)["charges"] if c["kind"] == "room_night"]
    _bill(manager, sessions, clock)
    (bill,) = manager.get(f"{BASE}/long-stays/{stay}").json()["bills"]
    assert bill["rent_minor"] == 90000 and bill["invoice"]
