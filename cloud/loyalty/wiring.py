"""Installs the loyalty programme: its hooks on stays and refunds, its matcher, API and pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from cloud.loyalty import api, pages
from cloud.loyalty.guest_link import RegistryMatcher
from cloud.loyalty.rules import RULES
from cloud.loyalty.stay_hooks import LoyaltyHistory, LoyaltyLedger, RefundPoints
from cloud.reservations.stays.guest_history import StayHistory
from cloud.reservations.stays.ledger import StayLedger

if TYPE_CHECKING:
    from cloud.services import Services


def wrap(ledger: StayLedger, history: StayHistory) -> tuple[LoyaltyLedger, LoyaltyHistory]:
    """The app's ledger and history, with the stay's points moving alongside."""
    return LoyaltyLedger(ledger, rules=RULES), LoyaltyHistory(history, rules=RULES)


def install(app: FastAPI, services: Services) -> None:
    services.matcher = RegistryMatcher(services.guests.vault)
    services.billing.refund_hooks.append(RefundPoints(rules=RULES))
    app.include_router(api.router)
    app.include_router(pages.router)
