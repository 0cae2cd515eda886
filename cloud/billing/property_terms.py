"""What a property's invoices say and charge, as set up in the catalog: its taxes, its legal
name and tax ids, its invoice series. The settings are the default of a property that has none."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing.settings import BillingSettings, Issuer
from cloud.billing.tax import TaxPolicy, TaxRate
from cloud.catalog.charges import Tax, TaxCategory
from cloud.catalog.models import Property


def _property(session: Session, site: str) -> Property | None:
    return session.scalar(select(Property).where(Property.slug == site))


def tax_policy(session: Session, settings: BillingSettings, site: str) -> TaxPolicy:
    """The property's taxes, each over the charge kinds of its categories (none: every kind)."""
    prop = _property(session, site)
    if prop is None:
        return settings.tax_policy(site)
    taxes = list(session.scalars(select(Tax).where(Tax.property_id == prop.id).order_by(Tax.code)))
    if not taxes:
        return settings.tax_policy(site)
    kinds = {c.code: c.charge_kinds for c in session.scalars(
        select(TaxCategory).where(TaxCategory.property_id == prop.id))}
    rates = []
    for tax in taxes:
        applies = frozenset(kind for code in tax.categories for kind in kinds.get(code, ()))
        if tax.categories and not applies:
            continue  # its categories hold no charge kind: it taxes nothing
        rates.append(TaxRate(tax.code, tax.ppm, applies))
    return TaxPolicy(inclusive=prop.prices_include_tax, rates=tuple(rates))


def issuer(session: Session, settings: BillingSettings, site: str) -> Issuer:
    """The legal entity on the property's invoices: its own fields where set, else the settings'."""
    default = settings.issuer(site)
    prop = _property(session, site)
    if prop is None:
        return default
    return Issuer(
        name=prop.legal_name or default.name,
        address=prop.address or default.address,
        tax_id=", ".join(prop.tax_ids or ()) or default.tax_id,
        country=prop.country or default.country,
    )


def invoice_series(session: Session, settings: BillingSettings, site: str) -> str:
    prop = _property(session, site)
    return (prop.invoice_series if prop else "") or settings.billing_invoice_series
