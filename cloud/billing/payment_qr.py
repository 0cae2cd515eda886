"""The EMV payment QR for what a folio's payer owes, from the property's QR settings."""

from __future__ import annotations

from cloud.billing.errors import BillingConflict
from cloud.billing.models import Folio
from cloud.billing.settings import BillingSettings
from cloud.core.money import Money
from cloud.payments.emvqr import EmvError, MerchantQR, build_payload


def folio_qr_payload(folio: Folio, *, amount: Money, settings: BillingSettings) -> str:
    if not settings.qr_account_gui or not settings.qr_account_id:
        raise BillingConflict("QR payments are not configured (POSADA_QR_ACCOUNT_GUI/_ID)")
    if amount.minor <= 0:
        raise BillingConflict("nothing is owed on this folio")
    qr = MerchantQR(
        scheme_id=settings.qr_account_gui, merchant_id=settings.qr_account_id,
        name=settings.qr_merchant_name[:25], city=settings.qr_merchant_city[:15],
        country=settings.qr_country, currency=folio.currency,
        merchant_category=settings.qr_merchant_category, amount=amount,
        bill_number=(folio.reservation_id or folio.id)[:25], reference=folio.id[-25:],
    )
    try:
        return build_payload(qr)
    except EmvError as exc:
        raise BillingConflict(f"cannot build the payment QR: {exc}") from None
