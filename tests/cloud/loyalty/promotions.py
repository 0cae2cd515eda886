"""Helpers for chain promotions: define one at headquarters, and book through the public pages."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.cloud.loyalty.chain import Chain

WEEKEND = {
    "code": "weekend",
    "kind": "package",
    "names": {"en": "Weekend escape", "es": "Escapada de fin de semana", "zh": "周末度假"},
    "base_plan": "flex",
    "room_types": ["std"],
    "price_rule": "percent_off",
    "price_value": 20,
    "stay_from": "2027-03-01",
    "stay_until": "2027-06-01",
    "weekdays": [4, 5],
    "min_nights": 2,
    "extras": [{"item": "breakfast", "per": "night"}],
    "multiplier_pct": 200,
    "bonus_points": 500,
}


def promotion(chain: Chain, body: dict[str, Any], expect: int = 201) -> Any:
    return chain.call("chain-admin", "POST", "/api/v1/loyalty/promotions", expect, json=body)


def codes(chain: Chain, promotion_id: str, **body: Any) -> list[str]:
    out = chain.call(
        "chain-admin",
        "POST",
        f"/api/v1/loyalty/promotions/{promotion_id}/codes",
        201,
        json={"valid_until": "2027-05-31", **body},
    )
    found: list[str] = out["codes"]
    return found


def guest(chain: Chain, address: str = "203.0.113.7") -> TestClient:
    """A visitor of the public pages, from an address of their own (the allowances are per address)."""
    return TestClient(
        chain.app, base_url="http://testserver", follow_redirects=False, client=(address, 50000)
    )


def book_online(
    client: TestClient,
    *,
    site: str = "hotel",
    plan: str,
    stay: dict[str, str],
    code: str = "",
    email: str = "visitor@example.com",
    name: str = "Visitor Uno",
) -> Any:
    """Open the details page as the search's link does, then post the form."""
    params = {**stay, "room_type": "std", "rate_plan": plan, "adults": "2", "children": "0"}
    if code:
        params["code"] = code
    page = client.get(f"/guest/{site}/book", params=params)
    if page.status_code != 200:  # the offer was refused before the form
        return page
    key = re.search(r'name="form_key" value="([^"]+)"', page.text)
    assert key is not None
    carried = re.search(r'name="offer_code" value="([^"]*)"', page.text)
    form = {
        **params,
        "form_key": key.group(1),
        "guest_name": name,
        "guest_email": email,
        "guest_phone": "",
        "pay": "deposit",
        "offer_code": carried.group(1) if carried else "",
    }
    form.pop("code", None)
    return client.post(f"/guest/{site}/book", data=form)
