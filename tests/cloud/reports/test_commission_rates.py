"""Channel commission rates over time: each reservation pays the rate in force on the local date it
was booked (checked against a plain computation here), past months keep theirs when the rate
changes; the API and the portal page set and show the history, refuse bad input whole, are audited,
in three languages, for management only."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.models import AuditEntry
from cloud.auth.roles import Role
from cloud.billing.models import Charge, Folio
from cloud.catalog.models import Property
from cloud.core.db import make_engine, make_sessionmaker
from cloud.reports import commission_rates, commissions
from cloud.reports.commission_rates import Rates
from cloud.reports.errors import InvalidReport, UnknownChannel
from cloud.reports.models import CommissionRate
from cloud.reports.pnl import pnl
from cloud.reservations.models import Reservation
from tests.cloud.reports import rows
from tests.cloud.reports.rows import END, START
from tests.cloud.reports.shared import Shared, _shared
from tests.cloud.reports.test_api import Clock, _desk, _sessions

__all__ = ["_desk", "_sessions", "_shared"]  # the app's fixtures, shared with test_api
AT = datetime(2027, 2, 1, tzinfo=UTC)
CHANGE = date(2027, 2, 15)  # from this booking date on, 18 % instead of 15 %
MADRID = ZoneInfo("Europe/Madrid")


def test_the_rate_in_force_is_the_last_change_on_or_before_the_day() -> None:
    rates = Rates(1500, [(date(2027, 2, 15), 1800), (date(2027, 6, 1), 0)])
    assert rates.on(date(2027, 2, 14)) == 1500
    assert rates.on(date(2027, 2, 15)) == 1800
    assert rates.on(date(2027, 5, 31)) == 1800
    assert rates.on(date(2027, 6, 1)) == 0
    assert Rates(700).on(date(2000, 1, 1)) == 700


@pytest.fixture(name="hotel")
def _hotel(db_url: str) -> Iterator[sessionmaker[Session]]:
    """rows.hotels; a channel at 15 % sold every north reservation with a folio, booked on days
    around the change (one at 23:30 UTC on the eve of the change: already the change's day in Madrid)."""
    engine = make_engine(db_url)
    sessions: sessionmaker[Session] = make_sessionmaker(engine)
    rng = random.Random(11)
    with sessions.begin() as s:
        rows.hotels(s, {"north": "EUR", "south": "EUR"})
        for n in range(60):
            rows.book(s, rng, n)
        north = s.scalar(select(Property.id).where(Property.slug == "north"))
        s.execute(text(
            "INSERT INTO channels (property_id, code, name, kind, markup_bp, paused, hotel_code, "
            "secret_hash, calls_per_minute, commission_bp, created_at) "
            "VALUES (:p, 'booking', 'Booking.com', 'ota', 0, :no, 'B1', :h, 20, 1500, :at)"),
            {"p": north, "h": "x" * 64, "at": AT, "no": False})
        channel = s.execute(text("SELECT id FROM channels WHERE code = 'booking'")).scalar_one()
        sold = list(s.scalars(select(Reservation).join(Folio, Folio.reservation_id == Reservation.id)
                              .where(Reservation.property_id == north).order_by(Reservation.id)))
        assert len(sold) > 10
        for k, res in enumerate(sold):
            made = (datetime(2027, 2, 14, 23, 30, tzinfo=UTC) if k == 0
                    else AT + timedelta(days=rng.randrange(30), hours=rng.randrange(24)))
            s.execute(update(Reservation).where(Reservation.id == res.id).values(created_at=made))
            s.execute(text(
                "INSERT INTO channel_reservations (channel_id, confirmation, reservation_id, status, "
                "room_type_id, rate_plan_id, arrival, departure, guest_name_enc, total_minor, currency, "
                "detail_enc, received_at, updated_at) VALUES (:c, :conf, :r, 'booked', :t, :p, :a, :d, 'x', "
                "0, 'EUR', 'x', :at, :at)"),
                {"c": channel, "conf": f"B{k}", "r": res.id, "t": res.room_type_id, "p": res.rate_plan_id,
                 "a": res.arrival, "d": res.departure, "at": made})
    yield sessions
    engine.dispose()


def _plain(s: Session, rate_of: dict[str, int]) -> dict[str, int]:
    """Month -> commission, computed plainly: each sold reservation's room-night lines by month, at
    the rate of the day it was booked in Madrid, rounded half up once per month and rate."""
    gross: dict[tuple[str, int], int] = defaultdict(int)
    for rid, made, night, amount in s.execute(
            select(Reservation.id, Reservation.created_at, Charge.night, Charge.gross_minor)
            .join(Folio, Folio.reservation_id == Reservation.id)
            .join(Charge, Charge.origin_folio_id == Folio.id)
            .where(Charge.kind == "room_night", Reservation.id.in_(list(rate_of)))):
        booked = made.astimezone(MADRID).date()
        rate = rate_of[rid] if booked >= CHANGE else 1500
        gross[(f"{night.year}-{night.month:02d}", rate)] += amount
    out: dict[str, int] = defaultdict(int)
    for (month, rate), amount in gross.items():
        out[month] += int((amount * rate / 10_000) + 0.5) if rate else 0
    return {m: v for m, v in out.items() if v}


def test_each_reservation_pays_the_rate_of_the_day_it_was_booked(hotel: sessionmaker[Session]) -> None:
    with hotel() as s:
        north = s.scalar(select(Property.id).where(Property.slug == "north"))
        assert north is not None
        sold = list(s.execute(text("SELECT reservation_id FROM channel_reservations")).scalars())
        before = commissions.monthly(s, [north], start=START, end=END)
        assert {m: c["booking"] for (_, m), c in before.items()} == _plain(s, dict.fromkeys(sold, 1500))
    with hotel.begin() as s:
        commission_rates.set_rate(s, site="north", channel="booking", rate_bp=1800, effective_from=CHANGE,
                                  actor="manager", now=AT)
    with hotel() as s:
        after = commissions.monthly(s, [north], start=START, end=END)
        expected = _plain(s, dict.fromkeys(sold, 1800))
        assert {m: c["booking"] for (_, m), c in after.items()} == expected
        assert after != before  # the change reached some months, not all of them
        first = s.scalar(select(Reservation.created_at).where(Reservation.id == sold[0]))
        assert first is not None and first.astimezone(MADRID).date() == CHANGE  # booked at 00:30 local
        months = pnl(s, sites=("north",), start=START, end=END)
        assert {m.month: m.commissions["booking"] for m in months if m.commissions} == expected


def test_a_change_is_checked_whole_and_audited(hotel: sessionmaker[Session]) -> None:
    bad: list[tuple[object, object, type[Exception]]] = [
        (10_001, CHANGE, InvalidReport), (-1, CHANGE, InvalidReport), ("1500", CHANGE, InvalidReport),
        (1500, date(1999, 12, 31), InvalidReport), (1500, datetime(2027, 2, 15, tzinfo=UTC), InvalidReport)]
    for rate, since, error in bad:
        with hotel.begin() as s, pytest.raises(error):
            commission_rates.set_rate(s, site="north", channel="booking", rate_bp=rate, effective_from=since,
                                      actor="manager", now=AT)
    with hotel.begin() as s, pytest.raises(UnknownChannel):
        commission_rates.set_rate(s, site="south", channel="booking", rate_bp=1800, effective_from=CHANGE,
                                  actor="manager", now=AT)
    with hotel() as s:
        assert s.scalar(select(func.count()).select_from(CommissionRate)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == "commission_rate")) == 0
    with hotel.begin() as s:
        commission_rates.set_rate(s, site="north", channel="booking", rate_bp=1800, effective_from=CHANGE,
                                  actor="ana", now=AT)
        commission_rates.set_rate(s, site="north", channel="booking", rate_bp=1700, effective_from=CHANGE,
                                  actor="ben", now=AT)  # the same date again: replaced
    with hotel() as s:
        (only,) = commission_rates.history(s, site="north")
        assert only.rates.changes == [(CHANGE, 1700)] and only.rates.base_bp == 1500
        trail = list(s.scalars(select(AuditEntry).where(AuditEntry.entity == "commission_rate")
                               .order_by(AuditEntry.at, AuditEntry.id)))
        assert [(e.actor, e.detail["before_bp"], e.detail["after_bp"]) for e in trail] == [
            ("ana", None, 1800), ("ben", 1800, 1700)]


def _channel(client: TestClient) -> None:
    r = client.post("/api/v1/properties/hotel/channels", json={
        "code": "booking", "name": "Booking.com", "kind": "ical", "commission_bp": 1500})
    assert r.status_code == 201, r.text


def test_the_api_sets_shows_and_withdraws_a_rate(desk: tuple[TestClient, Clock]) -> None:
    client, _ = desk
    _channel(client)
    path = "/api/v1/reports/hotel/commission-rates"
    r = client.post(path, json={"channel": "booking", "rate_bp": 1800, "effective_from": "2027-04-01"})
    assert r.status_code == 201, r.text
    (channel,) = client.get(path).json()["channels"]
    assert channel["registry_rate_bp"] == 1500
    assert [(c["effective_from"], c["rate_bp"]) for c in channel["changes"]] == [("2027-04-01", 1800)]
    for body, status in [({"channel": "booking", "rate_bp": 10_001, "effective_from": "2027-04-01"}, 422),
                         ({"channel": "booking", "rate_bp": "18", "effective_from": "2027-04-01"}, 422),
                         ({"channel": "booking", "rate_bp": 1800, "effective_from": "1999-01-01"}, 422),
                         ({"channel": "booking", "rate_bp": 1800}, 422),
                         ({"channel": "Nope!", "rate_bp": 1800, "effective_from": "2027-04-01"}, 422),
                         ({"channel": "expedia", "rate_bp": 1800, "effective_from": "2027-04-01"}, 404)]:
        r = client.post(path, json=body)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert client.delete(f"{path}/booking/2027-04-01").status_code == 204
    assert client.delete(f"{path}/booking/2027-04-01").status_code == 404
    assert client.get(path).json()["channels"][0]["changes"] == []
    assert client.get("/api/v1/reports/other/commission-rates").status_code == 403


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.HOUSEKEEPING, Role.MAINTENANCE])
def test_only_management_sees_or_changes_rates(shared: Shared, role: Role) -> None:
    client = shared.clients[role]
    assert client.get("/api/v1/reports/hotel/commission-rates").status_code == 403
    assert client.get("/reports/commissions").status_code == 403
    body = {"channel": "booking", "rate_bp": 1800, "effective_from": "2027-04-01"}
    assert client.post("/api/v1/reports/hotel/commission-rates", json=body).status_code == 403


@pytest.mark.parametrize(("lang", "heading", "refused"), [
    ("en", "Channel commission rates", "Give the rate in per cent"),
    ("es", "Comisiones de los canales", "Indique la comisión en por ciento"),
    ("zh-Hans", "渠道佣金费率", "请以百分比填写费率"),
])
def test_the_page_shows_the_history_and_takes_a_change(desk: tuple[TestClient, Clock], lang: str,
                                                       heading: str, refused: str) -> None:
    client, _ = desk
    _channel(client)
    headers = {"Accept-Language": lang}
    page = client.get("/reports/commissions", headers=headers)
    assert page.status_code == 200 and f"<h1>{heading} · hotel</h1>" in page.text
    assert "15.00 %" in page.text
    r = client.post("/reports/commissions/hotel", headers=headers, follow_redirects=False,
                    data={"channel": "booking", "rate": "17,5", "effective_from": "2027-05-01"})
    assert r.status_code == 303, r.text
    shown = client.get("/reports/commissions", headers=headers).text
    assert "17.50 %" in shown
    r = client.post("/reports/commissions/hotel", headers=headers,
                    data={"channel": "booking", "rate": "lots", "effective_from": "2027-06-01"})
    assert r.status_code == 422 and refused in r.text
    rates = client.get("/api/v1/reports/hotel/commission-rates").json()["channels"][0]["changes"]
    assert [(c["effective_from"], c["rate_bp"]) for c in rates] == [("2027-05-01", 1750)]
    assert "/reports/commissions?site=hotel" in client.get("/reports/pnl", headers=headers).text

