"""Folio arithmetic, pure: pricing a charge, splitting it between payers, balances."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from cloud.billing.tax import PPM, TaxedAmount, TaxPolicy, apply_taxes
from cloud.core.money import Money, MoneyError


class ChargeKind(StrEnum):
    ROOM_NIGHT = "room_night"
    MINIBAR = "minibar"
    RESTAURANT = "restaurant"
    LAUNDRY = "laundry"
    SPA = "spa"
    TRANSPORT = "transport"
    LATE_CHECKOUT = "late_checkout"
    CANCELLATION = "cancellation"
    NO_SHOW = "no_show"
    RENT = "rent"  # a long stay's contract, per billing period
    UTILITIES = "utilities"  # by meter reading
    SERVICES = "services"  # a long stay's recurring services (cleaning, linen, laundry) as agreed
    DEDUCTION = "deduction"  # kept from a long stay's deposit at its end (damage, cleaning, ...)


class Payer(StrEnum):
    GUEST = "guest"
    COMPANY = "company"


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    QR = "qr"


class PaymentStage(StrEnum):
    DEPOSIT = "deposit"
    CHECK_IN = "check_in"
    STAY = "stay"
    CHECK_OUT = "check_out"


MAX_QUANTITY = 10_000


def price_charge(
    *, kind: ChargeKind, unit_price: Money, quantity: int, discount: bool, policy: TaxPolicy
) -> TaxedAmount:
    """Net, taxes and gross of one line; a discount is the same kind's line with opposite sign."""
    if type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY:
        raise MoneyError(f"quantity must be 1..{MAX_QUANTITY}")
    if unit_price.minor <= 0:
        raise MoneyError("unit price must be positive; post a discount to reduce a folio")
    amount = unit_price.times(quantity)
    if discount:
        amount = -amount
    return apply_taxes(amount, policy.rates_for(kind), inclusive=policy.inclusive)


def split_taxed(taxed: TaxedAmount, *, company_ppm: int) -> tuple[TaxedAmount, TaxedAmount]:
    """Guest part and company part of a line; each component splits exactly, so parts add up."""
    if type(company_ppm) is not int or not 0 < company_ppm < PPM:
        raise MoneyError("company share must be strictly between 0% and 100%")
    weights = [PPM - company_ppm, company_ppm]
    net_g, net_c = taxed.net.allocate(weights)
    tax_g: list[tuple[str, Money]] = []
    tax_c: list[tuple[str, Money]] = []
    for code, amount in taxed.taxes:
        part_g, part_c = amount.allocate(weights) if amount.minor else (amount, amount)
        tax_g.append((code, part_g))
        tax_c.append((code, part_c))
    return _assemble(net_g, tax_g), _assemble(net_c, tax_c)


def _assemble(net: Money, taxes: list[tuple[str, Money]]) -> TaxedAmount:
    gross = net
    for _, amount in taxes:
        gross = gross + amount
    return TaxedAmount(net, tuple(taxes), gross)


@dataclass(frozen=True, slots=True)
class Movement:
    """A money movement on a folio, as the balance sees it."""

    payer: Payer
    amount: Money
    kind: str  # "charge", "payment" or "refund"


def balance(movements: Iterable[Movement], *, currency: str, payer: Payer | None = None) -> Money:
    """Charges minus payments plus refunds; positive means the payer owes the hotel."""
    result = Money.zero(currency)
    for move in movements:
        if payer is not None and move.payer != payer:
            continue
        if move.kind == "payment":
            result = result - move.amount
        elif move.kind in ("charge", "refund"):
            result = result + move.amount
        else:
            raise MoneyError(f"unknown movement {move.kind!r}")
    return result


def sum_taxes(lines: Iterable[Iterable[tuple[str, Money]]], currency: str) -> dict[str, Money]:
    """Tax totals per code over many lines (the invoice's tax summary)."""
    totals: dict[str, Money] = {}
    for taxes in lines:
        for code, amount in taxes:
            totals[code] = totals.get(code, Money.zero(currency)) + amount
    return totals
