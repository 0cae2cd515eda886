"""Errors of the loyalty programme."""

from __future__ import annotations

from cloud.catalog.errors import InvalidRequest
from cloud.core.errors import Conflict, DomainError, NotFound


class MemberNotFound(NotFound):
    type_ = "/problems/loyalty/member-not-found"
    title = "Member not found"


class InvalidLoyalty(DomainError):
    status = 422
    type_ = "/problems/loyalty/invalid"
    title = "Invalid loyalty request"


class InsufficientPoints(Conflict):
    type_ = "/problems/loyalty/insufficient-points"
    title = "Not enough points"


class SurveyNotFound(NotFound):
    type_ = "/problems/loyalty/survey-not-found"
    title = "Survey not found"


class PromotionNotFound(NotFound):
    type_ = "/problems/loyalty/promotion-not-found"
    title = "Promotion not found"


class PromotionConflict(Conflict):
    type_ = "/problems/loyalty/promotion-conflict"
    title = "Promotion conflict"


class OfferRefused(DomainError):
    """One answer for every refused code (unknown, another hotel's, expired, used up)."""

    status = 422
    type_ = "/problems/loyalty/offer-refused"
    title = "Offer code refused"


class RedemptionNotFound(NotFound):
    type_ = "/problems/loyalty/redemption-not-found"
    title = "Redemption not found"


class MemberRateRefused(InvalidRequest):
    """A member rate sold to a guest whose profile holds no membership (any channel)."""

    type_ = "/problems/loyalty/member-rate"
    title = "Member rate for members only"
