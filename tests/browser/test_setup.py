"""A hotel set up through the portal only (Chromium): 3 floors with their gateways' credentials,
60 rooms, 4 room types, 3 rate plans with a low and a high season, restrictions and taxes; then a
booking priced by those seasons, refused by those restrictions, and invoiced with those taxes."""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PASSWORD, Server

pytestmark = pytest.mark.browser
SITE = "costa"
ZONE = "Europe/Madrid"
SHOTS = Path(os.environ.get("POSADA_SETUP_SHOTS", "/tmp/setup-shots"))
TYPES = {
    "sgl": ("Single", "Individual", "单人间", 1),
    "dbl": ("Double", "Doble", "双人间", 2),
    "fam": ("Family", "Familiar", "家庭房", 4),
    "ste": ("Suite", "Suite", "套房", 2),
}
PLANS = {
    "bar": ("Best available rate", True, "none"),
    "nonref": ("Non-refundable", False, "none"),
    "bb": ("Bed and breakfast", True, "breakfast"),
}
LOW = {"sgl": "60", "dbl": "80", "fam": "110", "ste": "150"}  # euros a night; the high season adds 50%
RANGES = [
    ("f1", "dbl", 101, 120),
    ("f2", "sgl", 201, 210),
    ("f2", "fam", 211, 220),
    ("f3", "dbl", 301, 315),
    ("f3", "ste", 316, 320),
]


def _today() -> date:
    return datetime.now(ZoneInfo(ZONE)).date()


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _sign_in(page: Page, server: Server, username: str) -> None:
    page.goto(f"{server.url}/signin")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page.locator("#account-link")).to_be_visible()


def _fill(page: Page, form: str, values: dict[str, Any]) -> None:
    for name, value in values.items():
        field = page.locator(f"{form} [name={name}]")
        if isinstance(value, bool):
            field.set_checked(value)
        elif field.first.evaluate("e => e.tagName") == "SELECT":
            field.select_option(str(value))
        else:
            field.fill(str(value))


def _save(page: Page, server: Server, section: str, values: dict[str, Any]) -> None:
    """One item through the section's form, applied at once."""
    if not page.url.endswith(f"/setup/{SITE}/{section}"):
        page.goto(f"{server.url}/setup/{SITE}/{section}")
    _fill(page, "#item-form", values)
    page.locator("#item-form button[type=submit]").click()
    expect(page.locator("#applied")).to_be_visible()
    expect(page.locator("#problems")).to_have_count(0)


def _set_up(page: Page, server: Server) -> None:
    today = _today()
    page.goto(f"{server.url}/setup")
    _fill(
        page,
        "#new-property",
        {"site": SITE, "number": "21", "name": "Hotel Costa", "time_zone": ZONE, "currency": "EUR"},
    )
    page.locator("#new-property button").click()
    expect(page).to_have_url(re.compile(f"/setup/{SITE}/property$"))
    _save(
        page,
        server,
        "property",
        {
            "f_legal_name": "Costa Hoteles S.L.",
            "f_address": "Paseo Marítimo 1, Málaga",
            "f_country": "ES",
            "f_tax_ids": "B29000001",
            "f_check_in_from": "00:00",
            "f_invoice_series": "CST",
            "f_language": "es",
        },
    )
    _shot(page, "property-en")
    for level in (1, 2, 3):
        page.goto(f"{server.url}/setup/{SITE}/floors")
        _fill(page, "#item-form", {"f_id": f"f{level}", "f_level": level, "f_name": f"Floor {level}"})
        page.locator("#item-form button[type=submit]").click()
        expect(page.locator("#passwd-line")).to_contain_text(f"gw.{SITE}.f{level}:$7$101$")
    _shot(page, "floor-credentials-en")
    for code, (en, es, zh, guests) in TYPES.items():
        _save(
            page,
            server,
            "room_types",
            {
                "f_code": code,
                "f_name_en": en,
                "f_name_es": es,
                "f_name_zh": zh,
                "f_max_guests": guests,
                "f_beds": "1 queen",
                "f_features": "wifi, desk",
            },
        )
    for floor, kind, first, last in RANGES:
        page.goto(f"{server.url}/setup/{SITE}/rooms")
        _fill(page, "#range-form", {"first": first, "last": last, "floor": floor, "type": kind})
        page.locator("#range-form button[type=submit]").click()
        expect(page.locator("#diff tr.diff-create")).to_have_count(last - first + 1)
        if first == 101:
            _shot(page, "rooms-review-en")
        page.locator("#apply").click()
        expect(page.locator("#applied")).to_be_visible()
    expect(page.locator("#items tbody tr")).to_have_count(60)
    _shot(page, "rooms-en")
    for code, (name, refundable, meals) in PLANS.items():
        _save(
            page,
            server,
            "rate_plans",
            {"f_code": code, "f_name": name, "f_refundable": refundable, "f_meals": meals},
        )
    high_from, high_until = today + timedelta(days=1), today + timedelta(days=120)
    for plan in PLANS:
        for kind, low in LOW.items():
            extra = 10 if plan == "bb" else 0
            _save(
                page,
                server,
                "prices",
                {
                    "f_plan": plan,
                    "f_type": kind,
                    "f_from": (today - timedelta(days=60)),
                    "f_until": high_from,
                    "f_amount_minor": int(low) + extra,
                },
            )
            _save(
                page,
                server,
                "prices",
                {
                    "f_plan": plan,
                    "f_type": kind,
                    "f_from": high_from,
                    "f_until": high_until,
                    "f_amount_minor": int(low) * 3 // 2 + extra,
                },
            )
    _save(
        page,
        server,
        "restrictions",
        {"f_from": today, "f_until": high_until, "f_plan": "nonref", "f_min_stay": 3},
    )
    _save(
        page,
        server,
        "restrictions",
        {
            "f_from": today + timedelta(days=5),
            "f_until": today + timedelta(days=6),
            "f_closed_to_arrival": True,
        },
    )
    _save(
        page,
        server,
        "tax_categories",
        {"f_code": "lodging", "f_name": "Lodging", "f_charge_kinds": "room_night, late_checkout"},
    )
    _save(
        page,
        server,
        "tax_categories",
        {"f_code": "food", "f_name": "Food and drink", "f_charge_kinds": "minibar, restaurant"},
    )
    _save(page, server, "taxes", {"f_code": "IVA", "f_name": "IVA", "f_percent": "10", "f_categories": ""})
    _save(
        page,
        server,
        "taxes",
        {"f_code": "TUR", "f_name": "Tasa turística", "f_percent": "5", "f_categories": "lodging"},
    )
    _save(
        page,
        server,
        "service_items",
        {
            "f_code": "water",
            "f_name_en": "Water",
            "f_name_es": "Agua",
            "f_name_zh": "水",
            "f_price_minor": "2.50",
            "f_category": "food",
            "f_charge_kind": "minibar",
        },
    )
    _save(page, server, "areas", {"f_code": "pool", "f_kind": "pool", "f_name": "Pool"})


def _api(page: Page, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    token = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    response = page.request.fetch(f"{path}", method=method, data=body, headers={"X-CSRF-Token": token})
    return response


def _book(page: Page, server: Server, **changes: Any) -> Any:
    today = _today()
    body = {
        "room_type": "dbl",
        "rate_plan": "bar",
        "arrival": today.isoformat(),
        "departure": (today + timedelta(days=3)).isoformat(),
        "adults": 2,
        "guest_name": "Rosa Díaz",
        **changes,
    }
    return _api(page, "POST", f"{server.url}/api/v1/properties/{SITE}/reservations", body)


def _sell_and_invoice(page: Page, server: Server) -> None:
    today = _today()
    page.goto(f"{server.url}/setup/{SITE}/property")  # any page: the CSRF token
    booked = _book(page, server)
    assert booked.status == 201, booked.text()
    res = booked.json()
    assert [n["amount_minor"] for n in res["nights"]] == [8000, 12000, 12000]  # tonight low, then high
    assert res["rooms"][0]["floor"] in ("f1", "f3")  # doubles are on floors 1 and 3
    refused = _book(page, server, rate_plan="nonref", departure=(today + timedelta(days=2)).isoformat())
    assert refused.status == 422 and "at least 3 nights" in refused.json()["detail"]
    closed = _book(
        page,
        server,
        arrival=(today + timedelta(days=5)).isoformat(),
        departure=(today + timedelta(days=7)).isoformat(),
    )
    assert closed.status == 422 and "closed to arrival" in closed.json()["detail"]
    one = _book(page, server, departure=(today + timedelta(days=1)).isoformat(), guest_name="Ana Ruiz").json()
    checked_in = _api(page, "POST", f"{server.url}/api/v1/reservations/{one['id']}/check-in")
    assert checked_in.status == 200, checked_in.text()
    folio = _api(page, "GET", f"{server.url}/api/v1/reservations/{one['id']}/folio").json()
    nights = [c for c in folio["charges"] if c["kind"] == "room_night"]
    assert [(c["net_minor"], c["taxes"]) for c in nights] == [(8000, {"IVA": 800, "TUR": 400})]
    owed = folio["balances"]["guest"]["minor"]
    paid = page.request.post(
        f"{server.url}/api/v1/folios/{folio['id']}/payments",
        data={
            "amount": {"amount": f"{owed // 100}.{owed % 100:02d}", "currency": "EUR"},
            "method": "cash",
            "stage": "check_out",
        },
        headers={
            "X-CSRF-Token": page.locator("input[name=csrf_token]").first.get_attribute("value") or "",
            "Idempotency-Key": os.urandom(16).hex(),
        },
    )
    assert paid.status == 201, paid.text()
    done = _api(page, "POST", f"{server.url}/api/v1/reservations/{one['id']}/check-out", {"invoice": True})
    assert done.status == 200, done.text()
    invoice = _api(page, "GET", f"{server.url}/api/v1/invoices/{done.json()['invoice_id']}").json()
    assert invoice["number"].startswith("CST") and invoice["taxes"] == {"IVA": 800, "TUR": 400}
    assert invoice["total_minor"] == 9200


def _look_in(browser: Browser, server: Server, locale: str, suffix: str) -> None:
    """The pages in another language, for the eye: the calendar, the rooms, a removal's diff."""
    ctx = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    _sign_in(page, server, "liwei")
    page.goto(f"{server.url}/setup/{SITE}/calendar")
    expect(page.locator("#calendar")).to_be_visible()
    _shot(page, f"calendar-{suffix}")
    page.goto(f"{server.url}/setup/{SITE}/floors")
    _shot(page, f"floors-{suffix}")
    page.goto(f"{server.url}/setup/{SITE}/rate_plans?edit=nonref")
    _shot(page, f"rate-plans-{suffix}")
    page.goto(f"{server.url}/setup/{SITE}/rooms")
    page.locator("#items tr[data-key='320'] button.danger").click()
    expect(page.locator("#diff tr.diff-delete")).to_have_count(1)
    _shot(page, f"rooms-remove-review-{suffix}")
    ctx.close()


def test_a_hotel_set_up_in_the_portal_sells_rooms_priced_restricted_and_taxed_as_set_up(
    browser: Browser, server: Server
) -> None:
    ctx = browser.new_context(locale="en-GB", viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    _sign_in(page, server, "liwei")
    _set_up(page, server)
    page.goto(f"{server.url}/setup/{SITE}/calendar")
    high = page.locator(f"td[data-day='{(_today() + timedelta(days=1)).isoformat()}']")
    expect(high).to_contain_text("€120.00")
    expect(page.locator(f"td[data-day='{_today().isoformat()}']")).to_contain_text("€80.00")
    _shot(page, "calendar-en")
    _sell_and_invoice(page, server)
    ctx.close()
    _look_in(browser, server, "zh-CN", "zh")
    _look_in(browser, server, "es-ES", "es")
