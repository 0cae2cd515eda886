"""Billing's domain errors, each mapped to an RFC 9457 problem by the core handler."""

from __future__ import annotations

from cloud.core.errors import Conflict, DomainError, NotFound


class FolioNotFound(NotFound):
    type_ = "/problems/billing/folio-not-found"


class InvoiceNotFound(NotFound):
    type_ = "/problems/billing/invoice-not-found"


class PaymentNotFound(NotFound):
    type_ = "/problems/billing/payment-not-found"


class BillingConflict(Conflict):
    type_ = "/problems/billing/conflict"


class InvalidAmount(DomainError):
    status = 422
    type_ = "/problems/billing/invalid-amount"
    title = "Invalid amount"


class PaymentDeclined(DomainError):
    status = 402
    type_ = "/problems/billing/payment-declined"
    title = "Payment declined"


class ProviderUnavailable(DomainError):
    status = 503
    type_ = "/problems/billing/provider-unavailable"
    title = "Payment provider unavailable"


class UnknownReservation(NotFound):
    type_ = "/problems/billing/unknown-reservation"


class BalanceOwed(BillingConflict):
    type_ = "/problems/billing/balance-owed"
    title = "Balance owed"
