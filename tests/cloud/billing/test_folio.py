from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.billing.folio import ChargeKind, Movement, Payer, balance, price_charge, split_taxed
from cloud.billing.tax import TaxPolicy, TaxRate
from cloud.core.money import Money, MoneyError

POLICY = TaxPolicy(
    inclusive=False,
    rates=(TaxRate.percent("IVA", "16"), TaxRate.percent("ISH", "3", ["room_night"])),
)


def test_room_night_carries_lodging_tax_and_minibar_does_not() -> None:
    night = price_charge(kind=ChargeKind.ROOM_NIGHT, unit_price=Money(100000, "MXN"),
                         quantity=2, discount=False, policy=POLICY)
    minibar = price_charge(kind=ChargeKind.MINIBAR, unit_price=Money(5000, "MXN"),
                           quantity=1, discount=False, policy=POLICY)
    assert dict(night.taxes) == {"IVA": Money(32000, "MXN"), "ISH": Money(6000, "MXN")}
    assert dict(minibar.taxes) == {"IVA": Money(800, "MXN")}


def test_discount_is_a_negative_line_with_the_same_taxes() -> None:
    disc = price_charge(kind=ChargeKind.ROOM_NIGHT, unit_price=Money(10000, "MXN"),
                        quantity=1, discount=True, policy=POLICY)
    assert disc.gross == Money(-11900, "MXN")


@pytest.mark.parametrize("quantity", [0, -1, 10_001])
def test_quantity_out_of_range_is_refused(quantity: int) -> None:
    with pytest.raises(MoneyError):
        price_charge(kind=ChargeKind.SPA, unit_price=Money(1, "MXN"), quantity=quantity,
                     discount=False, policy=POLICY)


@given(st.integers(min_value=1, max_value=10**8), st.integers(min_value=1, max_value=999_999))
def test_split_parts_add_up_to_the_whole_line(unit: int, company_ppm: int) -> None:
    taxed = price_charge(kind=ChargeKind.ROOM_NIGHT, unit_price=Money(unit, "MXN"),
                         quantity=1, discount=False, policy=POLICY)
    guest, company = split_taxed(taxed, company_ppm=company_ppm)
    assert guest.gross + company.gross == taxed.gross
    assert guest.net + company.net == taxed.net
    assert guest.net + guest.tax == guest.gross


def test_balance_is_charges_minus_payments_plus_refunds_per_payer() -> None:
    moves = [
        Movement(Payer.GUEST, Money(1000, "EUR"), "charge"),
        Movement(Payer.COMPANY, Money(500, "EUR"), "charge"),
        Movement(Payer.GUEST, Money(800, "EUR"), "payment"),
        Movement(Payer.GUEST, Money(100, "EUR"), "refund"),
    ]
    assert balance(moves, currency="EUR", payer=Payer.GUEST) == Money(300, "EUR")
    assert balance(moves, currency="EUR") == Money(800, "EUR")
