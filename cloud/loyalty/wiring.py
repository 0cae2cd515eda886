"""Installs the loyalty programme: its hooks on stays and refunds, its matcher, API and pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from cloud.guests.context import build_guests
from cloud.loyalty import api, pages, suggestions
from cloud.loyalty.expiry import ExpiryWorker
from cloud.loyalty.feedback import api as survey_api
from cloud.loyalty.feedback import pages as survey_pages
from cloud.loyalty.feedback.service import Surveys
from cloud.loyalty.guest_link import RegistryMatcher
from cloud.loyalty.merge import MembershipMerge
from cloud.loyalty.promotions import api as promotions_api
from cloud.loyalty.promotions import pages as promotions_pages
from cloud.loyalty.rules import RULES
from cloud.loyalty.stay_hooks import LoyaltyHistory, LoyaltyLedger, RefundPoints
from cloud.reservations.stays.guest_history import StayHistory
from cloud.reservations.stays.ledger import StayLedger

if TYPE_CHECKING:
    from cloud.services import Services
    from cloud.settings import Settings


def wrap(
    settings: Settings, ledger: StayLedger, history: StayHistory
) -> tuple[LoyaltyLedger, LoyaltyHistory]:
    """The app's ledger and history, with the stay's points and surveys moving alongside."""
    surveys = Surveys(
        vault=build_guests(settings.guests).vault, base_url=settings.guestweb.guestweb_public_url, rules=RULES
    )
    return LoyaltyLedger(ledger, rules=RULES, surveys=surveys, billing=settings.billing), LoyaltyHistory(
        history, rules=RULES, surveys=surveys
    )


def install(app: FastAPI, services: Services) -> None:
    services.matcher = RegistryMatcher(services.guests.vault)
    services.guests.merges.append(MembershipMerge())  # a profile merge folds the memberships too
    services.billing.refund_hooks.append(RefundPoints(rules=RULES))
    services.stay_panels["loyalty"] = suggestions.stay_panel  # the stay page: tier, points, what to offer
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(survey_api.router)
    app.include_router(survey_pages.router)
    app.include_router(promotions_api.router)
    app.include_router(promotions_pages.router)
    services.workers.append(ExpiryWorker(services.sessions, clock=services.clock))  # lots past their last day
