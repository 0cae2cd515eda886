"""Expenses, supplier invoices, recurring expenses and the monthly P&L through the API."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from cloud.auth.roles import Role
from cloud.reports.pnl import months_between
from tests.cloud.reports.shared import Shared, _shared
from tests.cloud.reports.test_api import Clock, _book, _desk, _sessions

__all__ = ["_desk", "_sessions", "_shared"]  # the fixtures, shared with test_api


def _expense(client: TestClient, **changes: object) -> int:
    body = {"category": "utilities", "incurred_on": "2027-03-10", "amount_minor": 50_000, "currency": "EUR",
            **changes}
    return client.post("/api/v1/reports/hotel/expenses", json=body).status_code


def test_months_between_takes_both_ends() -> None:
    assert months_between(date(2026, 11, 15), date(2027, 2, 1)) == [
        date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)]


def test_the_monthly_pnl_is_revenue_less_expenses(desk: tuple[TestClient, Clock]) -> None:
    client, _ = desk
    stay = _book(client, "2027-03-01", "2027-03-03")
    assert client.post(f"/api/v1/reservations/{stay}/check-in").status_code == 200
    assert _expense(client) == 201
    assert _expense(client, kind="supplier_invoice", supplier="Aguas SA", reference="F-1",
                    category="supplies", amount_minor=1_234) == 201
    r = client.post("/api/v1/reports/hotel/recurring-expenses", json={
        "category": "payroll", "amount_minor": 100_000, "currency": "EUR", "first_month": "2027-02-01",
        "last_month": "2027-03-01"})
    assert r.status_code == 201, r.text
    r = client.get("/api/v1/reports/pnl", params={"start": "2027-02-01", "end": "2027-05-01"})
    assert r.status_code == 200, r.text
    months = {row["month"]: row for row in r.json()["rows"]}
    march = months["2027-03"]
    assert march["revenue"]["rooms"] == 18_000  # two nights at 90.00, no taxes set up
    assert march["expenses"] == {"payroll": 100_000, "utilities": 50_000, "supplies": 1_234}
    assert march["gop"] == 18_000 - 151_234
    assert march["goppar"] == round((18_000 - 151_234) / (20 * 31))
    assert months["2027-02"]["expenses"] == {"payroll": 100_000}
    assert months["2027-04"]["expenses"] == {}


@pytest.mark.parametrize("changes", [
    {"category": "bribes"},
    {"amount_minor": 0},
    {"amount_minor": -5},
    {"currency": "USD"},
    {"currency": "eur"},
    {"kind": "supplier_invoice"},  # no supplier, no number
    {"incurred_on": "yesterday"},
    {"incurred_on": "0001-01-01"},
    {"surprise": True},
])
def test_bad_expenses_are_refused_and_nothing_is_stored(shared: Shared, changes: dict[str, object]) -> None:
    client = shared.clients[Role.MANAGER]
    assert _expense(client, **changes) == 422
    r = client.get("/api/v1/reports/hotel/expenses", params={"start": "2027-01-01", "end": "2028-01-01"})
    assert r.json() == []


def test_the_same_supplier_invoice_twice_is_refused(desk: tuple[TestClient, Clock]) -> None:
    client, _ = desk
    invoice = {"kind": "supplier_invoice", "supplier": "Luz SL", "reference": "2027/77"}
    assert _expense(client, **invoice) == 201
    assert _expense(client, **invoice) == 422


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.HOUSEKEEPING, Role.MAINTENANCE])
def test_only_management_sees_expenses_and_the_pnl(shared: Shared, role: Role) -> None:
    client = shared.clients[role]
    params = {"start": "2027-01-01", "end": "2027-02-01"}
    assert client.get("/api/v1/reports/pnl", params=params).status_code == 403
    assert _expense(client) == 403


def test_a_manager_cannot_book_expenses_elsewhere(shared: Shared) -> None:
    client = shared.clients[Role.MANAGER]
    body = {"category": "utilities", "incurred_on": "2027-03-10", "amount_minor": 5, "currency": "EUR"}
    assert client.post("/api/v1/reports/other/expenses", json=body).status_code == 403




def test_the_pnl_page_adds_an_expense_and_shows_it(desk: tuple[TestClient, Clock]) -> None:
    client, _ = desk
    form = {"kind": "entry", "category": "maintenance", "incurred_on": "2027-02-03", "amount": "1.234,5",
            "supplier": "", "reference": "", "description": "Boiler"}
    assert client.post("/reports/pnl/hotel/expenses", data=form).status_code == 422  # "1.234,5" is no amount
    r = client.post("/reports/pnl/hotel/expenses", data={**form, "amount": "1234,50"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"], headers={"Accept-Language": "es"}).text
    assert "Pérdidas y ganancias" in page and "Boiler" in page and "Mantenimiento" in page
    r = client.post("/reports/pnl/hotel/expenses", data={**form, "amount": "5", "category": "bribes"})
    assert r.status_code == 422 and "category" in r.text
    listed = client.get("/api/v1/reports/hotel/expenses", params={"start": "2027-01-01", "end": "2028-01-01"})
    assert [e["amount_minor"] for e in listed.json()] == [123_450]


@pytest.mark.slow
def test_the_recurring_form_books_every_month_and_the_pnl_exports_agree(
        desk: tuple[TestClient, Clock]) -> None:
    client, _ = desk
    form = {"category": "payroll", "first_month": "2027-02", "last_month": "2027-03", "amount": "1000",
            "description": "Night porter"}
    for bad in ({"amount": "-5"}, {"first_month": "soon"}, {"last_month": "2027-01"}, {"category": "bribes"}):
        r = client.post("/reports/pnl/hotel/recurring", data={**form, **bad})
        assert r.status_code == 422 and 'role="alert"' in r.text, bad
    r = client.post("/reports/pnl/hotel/recurring", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/reports/pnl?site=hotel&year=2027", headers={"Accept-Language": "zh-Hans"}).text
    assert "Night porter" in page and "添加定期费用" in page and "渠道佣金" in page
    assert "/api/v1/reports/pnl.xlsx" in page
    params = {"start": "2027-01-01", "end": "2027-05-01"}
    rows = {row["month"]: row for row in client.get("/api/v1/reports/pnl", params=params).json()["rows"]}
    assert [rows[m]["expenses"].get("payroll") for m in ("2027-01", "2027-02", "2027-03", "2027-04")] == [
        None, 100_000, 100_000, None]
    csv_rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/reports/pnl.csv", params=params).text)))
    assert [int(r["expense_payroll"]) for r in csv_rows] == [0, 100_000, 100_000, 0]
    assert [int(r["gop"]) for r in csv_rows] == [rows[r["month"]]["gop"] for r in csv_rows]
    book = load_workbook(io.BytesIO(client.get("/api/v1/reports/pnl.xlsx", params=params).content))
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert [row[header.index("expense_payroll")] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        0, 100_000, 100_000, 0]
    pdf = client.get("/api/v1/reports/pnl.pdf", params=params)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get("/api/v1/reports/pnl.doc", params=params).status_code in (404, 422)
