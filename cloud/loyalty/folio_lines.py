"""Loyalty on the stay's folio: points redeemed for the stay are an allowance line (a discount of
the kind they pay for), taken back by a line of the same amount when the redemption is reversed;
a package's extras are posted at check-in and matched by an equal allowance (included in its price).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing import property_terms as terms
from cloud.billing.folio import ChargeKind
from cloud.billing.service import ChargeRequest, post_charge
from cloud.billing.settings import BillingSettings
from cloud.billing.stay_ledger import folio_of
from cloud.catalog.charges import ServiceItem
from cloud.core.money import Money
from cloud.loyalty.errors import InvalidLoyalty
from cloud.loyalty.models import Redemption
from cloud.loyalty.promotions.models import Promotion
from cloud.reservations.models import Reservation

FOR_KIND = {"night": ChargeKind.ROOM_NIGHT, "upgrade": ChargeKind.ROOM_NIGHT}
SERVICE_KINDS = ("minibar", "restaurant", "laundry", "spa", "transport", "late_checkout")


def _post(
    session: Session,
    billing: BillingSettings,
    *,
    folio_id: str,
    site: str,
    request: ChargeRequest,
    now: datetime,
) -> str:
    rows = post_charge(
        session, folio_id=folio_id, request=request, policy=terms.tax_policy(session, billing, site), now=now
    )
    return rows[0].id


def allowance(
    session: Session,
    billing: BillingSettings,
    redemption: Redemption,
    *,
    service_kind: str | None,
    now: datetime,
) -> str | None:
    """Post the redemption's value on its stay's folio as an allowance; the line's id."""
    if redemption.reservation_id is None or redemption.value_minor <= 0:
        return None
    folio = folio_of(session, redemption.reservation_id)
    if folio is None:
        raise InvalidLoyalty("the reservation has no folio to credit")
    kind = FOR_KIND.get(redemption.kind) or ChargeKind(service_kind or "restaurant")
    request = ChargeRequest(
        kind=kind,
        description=f"points:{redemption.id}",
        unit_price=Money(redemption.value_minor, folio.currency),
        discount=True,
    )
    return _post(session, billing, folio_id=folio.id, site=redemption.site, request=request, now=now)


def take_back(
    session: Session, billing: BillingSettings, redemption: Redemption, *, kind: str, now: datetime
) -> str | None:
    """The allowance undone: a line of the same kind and amount (posted lines are never changed)."""
    if redemption.reservation_id is None or redemption.folio_charge_id is None:
        return None
    folio = folio_of(session, redemption.reservation_id)
    assert folio is not None
    request = ChargeRequest(
        kind=ChargeKind(kind),
        description=f"points-reversed:{redemption.id}",
        unit_price=Money(redemption.value_minor, folio.currency),
    )
    return _post(session, billing, folio_id=folio.id, site=redemption.site, request=request, now=now)


def package_extras(
    session: Session,
    billing: BillingSettings,
    res: Reservation,
    promo: Promotion,
    *,
    site: str,
    property_id: int,
    now: datetime,
) -> int:
    """At check-in: each extra the package includes, charged and allowed back (the price holds it)."""
    folio = folio_of(session, res.id)
    if folio is None or not promo.extras:
        return 0
    codes = [str(extra["item"]) for extra in promo.extras]
    items = {
        i.code: i
        for i in session.scalars(
            select(ServiceItem).where(ServiceItem.property_id == property_id, ServiceItem.code.in_(codes))
        )
    }
    nights = (res.departure - res.arrival).days
    posted = 0
    for extra in promo.extras:
        item = items.get(str(extra["item"]))
        if item is None or item.price_minor <= 0:
            continue  # this property does not sell it: nothing to include
        quantity = nights if extra.get("per") == "night" else 1
        for discount in (False, True):
            _post(
                session,
                billing,
                folio_id=folio.id,
                site=site,
                now=now,
                request=ChargeRequest(
                    kind=ChargeKind(item.charge_kind),
                    description=f"package:{promo.code}:{item.code}",
                    unit_price=Money(item.price_minor, folio.currency),
                    quantity=quantity,
                    discount=discount,
                ),
            )
        posted += 1
    return posted
