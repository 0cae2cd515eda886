"""Stock arithmetic and the reorder rule, pure."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.operations.inventory.stock import MoveKind, ReorderPoint, StockRefused, after_move, reorder_packs

pytestmark = pytest.mark.unit


def test_taking_more_than_is_on_hand_is_refused() -> None:
    with pytest.raises(StockRefused) as refused:
        after_move(on_hand=3, kind=MoveKind.CONSUMED, quantity=4)
    assert refused.value.reason == "negative"
    assert after_move(on_hand=3, kind=MoveKind.WASTED, quantity=3) == 0


@pytest.mark.parametrize("quantity", [-1, 0])
def test_a_move_of_nothing_or_less_is_refused(quantity: int) -> None:
    with pytest.raises(StockRefused):
        after_move(on_hand=3, kind=MoveKind.RECEIVED, quantity=quantity)


def test_a_count_sets_what_was_found() -> None:
    assert after_move(on_hand=9, kind=MoveKind.COUNTED, quantity=4) == 4


def test_reorder_up_to_the_maximum_in_whole_packs() -> None:
    point = ReorderPoint(minimum=10, maximum=48, pack_size=12)
    assert reorder_packs(point, on_hand=10, on_order=0) == 0  # at the minimum: not below it
    assert reorder_packs(point, on_hand=9, on_order=0) == 4  # 39 short -> 4 packs of 12
    assert reorder_packs(point, on_hand=5, on_order=12) == 0  # on order counts


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 50), st.integers(1, 100), st.integers(1, 24), st.integers(0, 150), st.integers(0, 50))
def test_an_order_brings_stock_to_the_maximum_but_less_than_a_pack_above(
    minimum: int, span: int, pack: int, on_hand: int, on_order: int
) -> None:
    point = ReorderPoint(minimum=minimum, maximum=minimum + span, pack_size=pack)
    packs = reorder_packs(point, on_hand=on_hand, on_order=on_order)
    if on_hand + on_order >= minimum:
        assert packs == 0
    else:
        total = on_hand + on_order + packs * pack
        assert point.maximum <= total < point.maximum + pack
