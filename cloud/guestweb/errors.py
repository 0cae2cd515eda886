"""What the guest pages refuse, each with its problem type."""

from __future__ import annotations

from cloud.core.errors import DomainError


class LinkRefused(DomainError):
    status = 404
    type_ = "/problems/guestweb/link-refused"
    title = "This link does not work"


class HoldExpired(DomainError):
    status = 409
    type_ = "/problems/guestweb/hold-expired"
    title = "The booking was released"


class TooManyRequests(DomainError):
    status = 429
    type_ = "/problems/guestweb/too-many-requests"
    title = "Too many requests"


class NotPayable(DomainError):
    status = 409
    type_ = "/problems/guestweb/not-payable"
    title = "Nothing to pay"


class WebhookRefused(DomainError):
    status = 400
    type_ = "/problems/guestweb/webhook-refused"
    title = "Webhook refused"


class EmailTextRefused(DomainError):
    status = 422
    type_ = "/problems/guestweb/email-text-refused"
    title = "Email text refused"
