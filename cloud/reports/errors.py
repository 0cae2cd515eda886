"""Errors of the reports, each an RFC 9457 problem."""

from __future__ import annotations

from cloud.core.errors import DomainError, NotFound


class InvalidReport(DomainError):
    status = 422
    type_ = "/problems/reports/invalid-request"
    title = "Report request refused"


class UnknownProperty(NotFound):
    type_ = "/problems/reports/unknown-property"


class UnknownChannel(NotFound):
    type_ = "/problems/reports/unknown-channel"
