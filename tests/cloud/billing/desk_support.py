"""A checked-in stay on the real app, and a second client of the same app signed in by cookie."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from tests.cloud.billing.stay_support import Clock, book

ARRIVED = datetime(2027, 3, 3, 15, 0, tzinfo=UTC)  # 16:00 in Madrid on arrival day
PASSWORD = "correct-horse-battery"  # tests.cloud.reservations.apps.client_for's staff password


def checked_in(desk: TestClient, clock: Clock, **changes: Any) -> str:
    """Book (three nights from 2027-03-03) and check in; returns the reservation id."""
    res = book(desk, **changes)
    clock.now = ARRIVED
    r = desk.post(f"/api/v1/reservations/{res['id']}/check-in")
    assert r.status_code == 200, r.text
    return str(res["id"])


def form_of(page: str, action: str) -> dict[str, str]:
    """The hidden fields (CSRF token, one-time key, currency) of the form posting to ``action``."""
    start = page.index(f'action="{action}"')
    form = page[start:page.index("</form>", start)]
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', form))


def cookie_client(desk: TestClient, username: str = "front_desk-hotel") -> TestClient:
    """The same app in a browser-like client: signed in with the session cookie, no token."""
    client = TestClient(desk.app, base_url="http://testserver")
    page = client.get("/signin").text
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert token is not None
    r = client.post("/signin", data={"username": username, "password": PASSWORD,
                                     "csrf_token": token.group(1)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return client
