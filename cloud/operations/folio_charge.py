"""Posting a delivered service or a booked facility to the stay's folio, through the billing ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cloud.billing import property_terms as terms
from cloud.billing.folio import ChargeKind
from cloud.billing.service import ChargeRequest, post_charge
from cloud.billing.settings import BillingSettings
from cloud.billing.stay_ledger import folio_of
from cloud.core.money import Money
from cloud.operations.errors import OperationConflict
from cloud.reservations.models import Reservation


def charge_stay(
    session: Session,
    *,
    reservation: Reservation,
    site: str,
    kind: str,
    description: str,
    unit_minor: int,
    quantity: int,
    currency: str,
    billing: BillingSettings,
    now: datetime,
) -> None:
    """Post ``quantity`` times ``unit_minor`` to the stay's folio; nothing when the price is 0."""
    if unit_minor == 0:
        return
    if reservation.status != "checked_in":
        raise OperationConflict("only an in-house guest's folio can be charged")
    folio = folio_of(session, reservation.id)
    if folio is None:
        raise OperationConflict(f"reservation {reservation.id} has no folio")
    request = ChargeRequest(
        kind=ChargeKind(kind),
        description=description[:200],
        quantity=quantity,
        unit_price=Money(unit_minor, currency),
    )
    post_charge(
        session, folio_id=folio.id, request=request, policy=terms.tax_policy(session, billing, site), now=now
    )
