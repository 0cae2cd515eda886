"""Billing and payment settings."""

from __future__ import annotations

from pydantic import BaseModel, Field

from cloud.billing.tax import TaxPolicy, TaxRate
from cloud.core.config import AreaSettings


class RateConfig(BaseModel):
    code: str = Field(min_length=1, max_length=16)
    percent: str
    applies_to: list[str] = Field(default_factory=list)


class TaxConfig(BaseModel):
    inclusive: bool = False
    rates: list[RateConfig] = Field(default_factory=list)

    def policy(self) -> TaxPolicy:
        rates = tuple(TaxRate.percent(r.code, r.percent, r.applies_to) for r in self.rates)
        return TaxPolicy(inclusive=self.inclusive, rates=rates)


class Issuer(BaseModel):
    name: str = Field(default="Posada Hotel", min_length=1, max_length=200)
    address: str = Field(default="", max_length=400)
    tax_id: str = Field(default="", max_length=64)
    country: str = Field(default="", pattern=r"^([A-Z]{2})?$")


class BillingSettings(AreaSettings):

    billing_taxes: dict[str, TaxConfig] = Field(
        default_factory=dict,
        description='JSON: site -> {"inclusive": bool, "rates": [{"code", "percent", '
        '"applies_to": [kinds]}]}; the site "*" is the fallback. Only for a property whose set-up '
        "has no taxes: the taxes set up with the property win",
    )
    billing_invoice_series: str = Field(
        default="INV", description="series of invoices of a property whose set-up names none")
    billing_credit_note_series: str = Field(default="CN", description="series of credit notes")
    billing_issuers: dict[str, Issuer] = Field(
        default_factory=dict,
        description='JSON: site (or "*") -> {"name", "address", "tax_id", "country"}: the '
        "legal entity printed on its invoices; country (ISO alpha-2) sets number formats. The "
        "property's own legal name, address, tax ids and country, where set up, win",
    )
    billing_invoice_font: str | None = Field(
        default=None,
        description="TTF/TTC font with CJK glyphs for invoice PDFs; unset: search Debian paths",
    )
    qr_merchant_name: str = Field(default="POSADA HOTEL", description="EMV QR tag 59")
    qr_merchant_city: str = Field(default="CITY", description="EMV QR tag 60")
    qr_country: str = Field(default="MX", description="EMV QR tag 58 (ISO 3166 alpha-2)")
    qr_merchant_category: str = Field(default="7011", description="EMV QR tag 52 (7011 hotels)")
    qr_account_gui: str = Field(
        default="", description="EMV QR tag 26 sub-tag 00: the payment scheme's identifier"
    )
    qr_account_id: str = Field(default="", description="EMV QR tag 26 sub-tag 01: merchant id")
    stripe_api_base: str = Field(default="https://api.stripe.com", description="Stripe API base")
    stripe_secret_key: str | None = Field(default=None, description="sk_...; unset: simulated")
    stripe_webhook_secret: str | None = Field(default=None, description="whsec_... for webhooks")
    stripe_webhook_tolerance_s: int = Field(default=300, description="webhook timestamp window")
    http_timeout_s: float = Field(default=10.0, description="outbound HTTP timeout")

    def issuer(self, site: str) -> Issuer:
        return self.billing_issuers.get(site) or self.billing_issuers.get("*") or Issuer()

    def tax_policy(self, site: str) -> TaxPolicy:
        config = self.billing_taxes.get(site) or self.billing_taxes.get("*") or TaxConfig()
        return config.policy()

