"""Driving a stay through the API as the desk does: book, check in, check out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tests.cloud.loyalty.chain import Chain


def stay(chain: Chain, site: str, *, arrival: date, nights: int, **guest: Any) -> dict[str, Any]:
    """Book the day before, check in at 15:00 and out at 10:00 local (Madrid), billed later."""
    chain.clock.at(datetime.combine(arrival, time(8), tzinfo=UTC) - timedelta(days=1))
    res = book(chain, f"front_desk-{site}", site, arrival=arrival, nights=nights, **guest)
    check_in(chain, site, res)
    return check_out(chain, site, res, settle="bill_later")


def check_in(chain: Chain, site: str, res: dict[str, Any]) -> None:
    chain.clock.at(datetime.combine(date.fromisoformat(res["arrival"]), time(14), tzinfo=UTC))
    chain.call(f"front_desk-{site}", "POST", f"/api/v1/reservations/{res['id']}/check-in")


def check_out(chain: Chain, site: str, res: dict[str, Any], *, settle: str = "refuse") -> dict[str, Any]:
    chain.clock.at(datetime.combine(date.fromisoformat(res["departure"]), time(9), tzinfo=UTC))
    out: dict[str, Any] = chain.call(
        f"front_desk-{site}", "POST", f"/api/v1/reservations/{res['id']}/check-out", json={"settle": settle}
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
