"""Request and response bodies of the billing API."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cloud.billing.folio import ChargeKind, Payer, PaymentMethod, PaymentStage
from cloud.core.money import Money

AMOUNT = r"^-?[0-9]{1,13}(\.[0-9]{1,3})?$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MoneyIn(Strict):
    amount: str = Field(pattern=AMOUNT, examples=["1250.00"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["MXN"])


class MoneyOut(BaseModel):
    minor: int
    currency: str
    amount: str

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        return cls(minor=money.minor, currency=money.currency, amount=money.decimal_text())


class GuestIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    language: str = Field(default="en", pattern=r"^(en|es|zh)$")
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9]{6,15}$")


class FolioIn(Strict):
    site: str = Field(pattern=r"^[a-z0-9-]{1,63}$")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    guest: GuestIn
    reservation_id: str | None = Field(default=None, min_length=1, max_length=64)
    master: bool = False
    master_folio_id: str | None = Field(default=None, max_length=32)
    routed_kinds: list[ChargeKind] = Field(default_factory=list)
    company_name: str | None = Field(default=None, min_length=1, max_length=200)
    company_tax_id: str | None = Field(default=None, max_length=64)
    arrival_at: datetime | None = None
    checkout_at: datetime | None = None

    @field_validator("arrival_at", "checkout_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone offset")
        return value.astimezone(UTC) if value is not None else None


class ChargeIn(Strict):
    kind: ChargeKind
    description: str = Field(default="", max_length=200)
    unit_price: MoneyIn
    quantity: int = Field(default=1, ge=1, le=10_000)
    discount: bool = False
    payer: Payer = Payer.GUEST
    company_share_percent: str | None = Field(
        default=None, pattern=r"^[0-9]{1,2}(\.[0-9]{1,4})?$",
        description="split the line: the company's share, strictly between 0 and 100")
    night: date | None = None


class PaymentIn(Strict):
    amount: MoneyIn
    method: PaymentMethod
    stage: PaymentStage
    payer: Payer = Payer.GUEST
    reference: str | None = Field(default=None, min_length=1, max_length=120)


class RefundIn(Strict):
    amount: MoneyIn


class InvoiceIn(Strict):
    payer: Payer = Payer.GUEST


def dump(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)  # SQLite hands UTC back without its zone
        out[name] = value.isoformat() if isinstance(value, datetime | date) else value
    return out
