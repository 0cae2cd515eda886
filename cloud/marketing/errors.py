"""Errors of marketing."""

from __future__ import annotations

from cloud.core.errors import Conflict, DomainError, NotFound


class CampaignNotFound(NotFound):
    type_ = "/problems/marketing/not-found"
    title = "Segment or campaign not found"


class InvalidMarketing(DomainError):
    status = 422
    type_ = "/problems/marketing/invalid"
    title = "Invalid marketing request"


class AlreadySent(Conflict):
    type_ = "/problems/marketing/already-sent"
    title = "Campaign already sent"
