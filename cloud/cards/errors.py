"""Errors of keycards and encode jobs, each an RFC 9457 problem."""

from __future__ import annotations

from cloud.core.errors import Conflict, DomainError, NotFound


class UnknownCard(NotFound):
    type_ = "/problems/cards/not-found"


class UnknownJob(NotFound):
    type_ = "/problems/cards/job-not-found"
    title = "No such encode job at this station"


class JobGone(Conflict):
    """The job expired, was cancelled, or already has its result."""

    type_ = "/problems/cards/job-gone"
    title = "The encode job is no longer open"


class ResultConflict(Conflict):
    type_ = "/problems/cards/result-conflict"
    title = "The job already has a different result"


class CardNotEncodable(Conflict):
    type_ = "/problems/cards/not-encodable"
    title = "This card cannot be encoded"


class AgentOnly(DomainError):
    status = 403
    type_ = "/problems/cards/desk-agent-only"
    title = "Desk agents sign in with a bearer token"
