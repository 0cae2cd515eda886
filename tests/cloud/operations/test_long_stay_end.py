"""The end of a long stay on the real app: an automatic renewal that finds the room sold is an alert
on the desk's pages (in three languages) until dealt with; the deposit is settled once at the end,
deductions on the folio and the rest refunded through the payment path, audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.models import AuditEntry
from cloud.billing.models import Charge, Payment
from cloud.operations.long_stays.worker import ContractBiller
from tests.cloud.operations.conftest import NOW, Clock

pytestmark = pytest.mark.xdist_group("operations-app")
BASE = "/api/v1/properties/hotel"
TERMS = {
    "cycle": "monthly",
    "rate_minor": 90000,
    "billing_day": 1,
    "deposit_minor": 50000,
    "notice_days": 10,
    "auto_renew": True,
}


def _book(client: TestClient, arrival: str, departure: str, name: str) -> dict[str, Any]:
    r = client.post(
        f"{BASE}/reservations",
        json={
            "room_type": "std",
            "rate_plan": "flex",
            "arrival": arrival,
            "departure": departure,
            "adults": 1,
            "guest_name": name,
            "guest_email": f"{name.lower()}@guest.test",
            "guest_language": "es",
        },
    )
    assert r.status_code == 201, r.text
    found: dict[str, Any] = r.json()
    return found


def _at(clock: Clock, when: datetime) -> None:
    clock.now = when


@pytest.fixture(name="later")
def _later(clock: Clock) -> Iterator[Clock]:
    try:
        yield clock
    finally:
        clock.now = NOW


def _bill(client: TestClient, sessions: sessionmaker[Session], clock: Clock) -> int:
    services = client.app.services  # type: ignore[attr-defined]
    return ContractBiller(
        sessions, clock=clock, billing=services.settings.billing, issuer=services.issuer
    ).run_once()


def _pay(client: TestClient, stay: str, minor: int, stage: str) -> dict[str, Any]:
    folio = client.get(f"/api/v1/reservations/{stay}/folio").json()
    r = client.post(
        f"/api/v1/folios/{folio['id']}/payments",
        headers={"Idempotency-Key": f"{stage}-{stay}"},
        json={
            "amount": {"amount": f"{minor / 100:.2f}", "currency": "EUR"},
            "method": "cash",
            "stage": stage,
        },
    )
    assert r.status_code == 201, r.text
    paid: dict[str, Any] = r.json()
    return paid


def test_a_failed_renewal_alerts_the_desk_and_the_deposit_is_settled_once_at_the_end(
    manager: TestClient, sessions: sessionmaker[Session], later: Clock
) -> None:
    stay = _book(manager, "2027-09-01", "2027-10-01", "Helga")["id"]
    assert manager.post(f"{BASE}/long-stays/{stay}", json=TERMS).status_code == 201
    _at(later, datetime(2027, 9, 1, 15, tzinfo=UTC))  # 17:00 in Madrid
    assert manager.post(f"/api/v1/reservations/{stay}/check-in").status_code == 200
    room = manager.get(f"/api/v1/reservations/{stay}").json()["rooms"][0]["room"]
    taker = _book(manager, "2027-10-01", "2027-10-04", "Ines")["id"]  # the room is sold after the end
    moved = manager.post(f"/api/v1/reservations/{taker}/move", json={"room": room})
    assert moved.status_code == 200, moved.text
    assert _bill(manager, sessions, later) == 1  # September's rent
    _at(later, datetime(2027, 9, 25, 9, tzinfo=UTC))  # within the notice period: the run tries to renew
    _bill(manager, sessions, later)
    _bill(manager, sessions, later)  # and again an hour later: still one alert
    view = manager.get(f"{BASE}/long-stays/{stay}").json()
    assert view["departure"] == "2027-10-01"  # not renewed, and said so
    assert [(a["kind"], a["about"]) for a in view["alerts"]] == [("renewal_failed", "2027-11-01")]
    for lang, words in (
        ("en", "The automatic renewal to"),
        ("es", "La renovación automática hasta"),
        ("zh-Hans", "自动续约至"),
    ):
        listing = manager.get("/operations/long-stays", headers={"Accept-Language": lang})
        assert 'data-alert="renewal_failed"' in listing.text and words in listing.text, lang
    page = manager.get(f"/operations/long-stays/hotel/{stay}", headers={"Accept-Language": "es"})
    assert "La renovación automática hasta" in page.text and "Resuelto" in page.text
    done = manager.post(
        f"/operations/long-stays/hotel/{stay}/resolve",
        data={"alert_id": view["alerts"][0]["id"]},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert manager.get(f"{BASE}/long-stays/{stay}").json()["alerts"] == []
    assert 'data-alert="renewal_failed"' not in manager.get("/operations/long-stays").text

    # the deposit: paid at the start, September paid apart; settled on the last day, not before
    deposit = _pay(manager, stay, 50000, "deposit")
    rent = manager.get(f"{BASE}/long-stays/{stay}").json()["bills"][0]["gross_minor"]
    _pay(manager, stay, rent, "stay")
    url = f"{BASE}/long-stays/{stay}/deposit-settlement"
    early = manager.post(url, json={"deductions": []})
    assert early.status_code == 409 and early.json()["reason"] == "not_ended"
    _at(later, datetime(2027, 10, 1, 9, tzinfo=UTC))
    bad = manager.post(url, json={"deductions": [{"reason": "", "amount_minor": 100}]})
    assert bad.status_code == 422
    assert manager.get(f"{BASE}/long-stays/{stay}").json()["deposit_settlement"] is None
    settled = manager.post(url, json={"deductions": [{"reason": "Broken lamp", "amount_minor": 4500}]})
    assert settled.status_code == 201, settled.text
    d = settled.json()["deposit_settlement"]
    assert d["held_minor"] == 50000 and d["deducted_minor"] >= 4500
    assert d["refund_minor"] == 50000 - d["deducted_minor"]
    assert settled.json()["balance_minor"] == 0  # the deposit paid the lamp, the rest went back
    with sessions() as s:
        (refund,) = s.scalars(select(Payment).where(Payment.refund_of == deposit["id"])).all()
        assert (refund.direction, refund.amount_minor, refund.status) == (
            "refund",
            d["refund_minor"],
            "succeeded",
        )
        # descriptions are sealed at rest: read back and compared here, not in SQL
        (lamp,) = [c for c in s.scalars(select(Charge).where(Charge.kind == "deduction"))
                   if c.description == "Broken lamp"]
        assert lamp.gross_minor == d["deducted_minor"]
        audited = s.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "long_stay.deposit_settled", AuditEntry.entity_id == stay
            )
        ).one()
        assert audited.detail["refund_minor"] == d["refund_minor"]
    again = manager.post(url, json={"deductions": []})
    assert again.status_code == 409 and again.json()["reason"] == "settled"
    page = manager.get(f"/operations/long-stays/hotel/{stay}", headers={"Accept-Language": "es"})
    assert 'id="deposit-settled"' in page.text and "Retenido por: Broken lamp" in page.text
