"""Property scope of billing: staff reach only the folios of properties they work at.

A folio, payment or invoice of another property is answered as unknown (404), as guests are,
so ids cannot be probed across properties; opening a folio at a property the caller may not
see is refused (403).
"""

from __future__ import annotations

from typing import Annotated

from sqlalchemy.orm import Session

from cloud.auth.accounts import chain_of
from cloud.auth.deps import check_property, require_role
from cloud.auth.roles import Principal, Role
from cloud.billing.context import BillingContext
from cloud.billing.errors import FolioNotFound, InvoiceNotFound, PaymentNotFound
from cloud.billing.models import Folio, Invoice, Payment

BillingUser = Annotated[Principal, require_role(Role.FRONT_DESK, Role.MANAGER, Role.CHAIN_ADMIN)]


def _sees(session: Session, user: Principal, site: str) -> bool:
    return user.sees_site(site, chain_of_site=chain_of(session, site))


def check_site(ctx: BillingContext, user: Principal, site: str) -> None:
    with ctx.sessions() as session:
        check_property(session, user, site)


def check_folio(ctx: BillingContext, user: Principal, folio_id: str) -> None:
    with ctx.sessions() as session:
        folio = session.get(Folio, folio_id)
        if folio is None or not _sees(session, user, folio.site):
            raise FolioNotFound(f"no folio {folio_id}")


def check_payment(ctx: BillingContext, user: Principal, payment_id: str) -> None:
    with ctx.sessions() as session:
        payment = session.get(Payment, payment_id)
        folio = session.get(Folio, payment.folio_id) if payment else None
        if folio is None or not _sees(session, user, folio.site):
            raise PaymentNotFound(f"no payment {payment_id}")


def check_invoice(ctx: BillingContext, user: Principal, invoice_id: str) -> None:
    with ctx.sessions() as session:
        invoice = session.get(Invoice, invoice_id)
        folio = session.get(Folio, invoice.folio_id) if invoice else None
        if folio is None or not _sees(session, user, folio.site):
            raise InvoiceNotFound(f"no invoice {invoice_id}")
