"""What the check-out page says when it refuses something, in the desk's language."""

from __future__ import annotations

from cloud.billing.errors import (
    BalanceOwed,
    BillingConflict,
    InvalidAmount,
    PaymentDeclined,
    ProviderUnavailable,
)
from cloud.core.errors import DomainError
from cloud.core.idempotency import IdempotencyKeyReused, MissingIdempotencyKey
from cloud.i18n.formatting import money
from cloud.i18n.jinja import current_lang, gettext


def _money(minor: int, currency: str) -> str:
    return money(minor, currency, tag=current_lang.get())


def message(reason: str, *, owed: int = 0, currency: str = "") -> str:
    """The sentence for a refusal the page itself detects (``reason`` is a code)."""
    texts = {
        "format": gettext("Enter an amount such as 12.50, with no more decimals than the currency has."),
        "negative": gettext("The amount must be more than zero."),
        "too_large": gettext("The amount is too large."),
        "currency": gettext("This folio is in %(currency)s.") % {"currency": currency},
        "kind": gettext("Choose what the extra charge is for."),
        "quantity": gettext("The quantity is a whole number from 1 to 100."),
        "no_company": gettext("This stay has no company to bill."),
        "method": gettext("Choose cash, card or QR."),
        "more_than_owed": gettext("That is more than the guest owes (%(amount)s).")
        % {"amount": _money(owed, currency)},
        "tendered_short": gettext("The cash tendered is less than the amount to pay."),
        "reference": gettext("Enter the bank transfer's reference."),
        "balance_owed": gettext("The guest still owes %(amount)s. Take the payment before "
                                "checking out, or bill it to the company.")
        % {"amount": _money(owed, currency)},
        "bill_later_needs_company": gettext("Only a stay billed to a company can leave with "
                                            "money owed."),
        "no_folio": gettext("This stay has no folio yet."),
        "repeated": gettext("This form was already sent with other values; reload the page."),
    }
    return texts[reason]


def problem_message(exc: DomainError) -> str:
    """A domain refusal, in the desk's words where we know it, else the service's own."""
    if isinstance(exc, BalanceOwed):
        return gettext("The guest still owes money. Take the payment before checking out, "
                       "or bill it to the company.")
    if isinstance(exc, PaymentDeclined):
        return gettext("The card payment was declined (%(reason)s).") % {"reason": exc.detail}
    if isinstance(exc, ProviderUnavailable):
        return gettext("The card provider cannot be reached; try again or take another method.")
    if isinstance(exc, IdempotencyKeyReused):
        return message("repeated")
    if isinstance(exc, InvalidAmount | MissingIdempotencyKey | BillingConflict):
        return gettext("Refused: %(detail)s") % {"detail": exc.detail}
    return exc.detail
