"""Driving a stay through the API as the desk does: book, check in, check out (billed later)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tests.cloud.loyalty.chain import Chain


def stay(chain: Chain, site: str, *, arrival: date, nights: int, **guest: Any) -> dict[str, Any]:
    """Book, check in at 15:00 and check out at 10:00 local (Madrid, UTC+1 in winter and spring)."""
    desk = f"front_desk-{site}"
    chain.clock.at(datetime.combine(arrival, time(8), tzinfo=UTC) - timedelta(days=1))
    res = book(chain, desk, site, arrival=arrival, nights=nights, **guest)
    chain.clock.at(datetime.combine(arrival, time(14), tzinfo=UTC))
    chain.call(desk, "POST", f"/api/v1/reservations/{res['id']}/check-in")
    chain.clock.at(datetime.combine(arrival + timedelta(days=nights), time(9), tzinfo=UTC))
    out: dict[str, Any] = chain.call(
        desk, "POST", f"/api/v1/reservations/{res['id']}/check-out", json={"settle": "bill_later"}
    )
    return out


def book(chain: Chain, desk: str, site: str, *, arrival: date, nights: int, **guest: Any) -> dict[str, Any]:
    body = {
        "room_type": "std",
        "rate_plan": "flex",
        "arrival": arrival.isoformat(),
        "departure": (arrival + timedelta(days=nights)).isoformat(),
        **guest,
    }
    res: dict[str, Any] = chain.call(desk, "POST", f"/api/v1/properties/{site}/reservations", 201, json=body)
    return res
