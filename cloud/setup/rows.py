"""Column values of the catalog's rows from the document's JSON form of an item."""

from __future__ import annotations

from datetime import time
from typing import Any


def property_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "slug": data["site"],
        "number": data["number"],
        "name": data["name"],
        "chain": data["chain"],
        "legal_name": data["legal_name"],
        "address": data["address"],
        "country": data["country"],
        "tax_ids": list(data["tax_ids"]),
        "timezone": data["time_zone"],
        "currency": data["currency"],
        "language": data["language"],
        "checkin_from": time.fromisoformat(data["check_in_from"]),
        "checkin_until": time.fromisoformat(data["check_in_until"]),
        "checkout_at": time.fromisoformat(data["checkout_at"]),
        "latest_checkout_at": time.fromisoformat(data["latest_checkout_at"]),
        "late_checkout_hourly_minor": data["late_checkout_hourly_minor"],
        "invoice_series": data["invoice_series"],
        "prices_include_tax": data["prices_include_tax"],
    }


def room_type_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": data["name"]["en"],
        "names": dict(data["name"]),
        "descriptions": dict(data["description"]),
        "max_guests": data["max_guests"],
        "rank": data["rank"],
        "beds": data["beds"],
        "features": list(data["features"]),
        "photos": list(data["photos"]),
    }


def rate_plan_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": data["name"],
        "refundable": data["refundable"],
        "free_cancel_hours": data["free_cancel_hours"],
        "cancel_fee_nights": data["cancel_fee_nights"],
        "deposit_kind": data["deposit"],
        "deposit_percent": data["deposit_percent"],
        "min_stay": data["min_stay"],
        "meals": data["meals"],
    }
