"""Stock arithmetic, pure: what a move does to what is on hand, and how much to reorder.

Moves: ``received`` adds; ``issued`` (to a floor or room), ``consumed`` (a minibar item the guest
took, charged to the folio) and ``wasted`` take away; ``counted`` sets the quantity found at a
stock count. Nothing may take stock below zero.

Reorder rule: when the quantity on hand plus what is already on order falls **below the
minimum**, order enough to bring it **up to the maximum, rounded up to whole packs** of the
supplier's pack size (never more than one pack above the maximum, never zero packs).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MoveKind(StrEnum):
    RECEIVED = "received"
    ISSUED = "issued"
    CONSUMED = "consumed"
    WASTED = "wasted"
    COUNTED = "counted"


TAKING = frozenset({MoveKind.ISSUED, MoveKind.CONSUMED, MoveKind.WASTED})
MAX_QUANTITY = 1_000_000


class StockRefused(ValueError):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def after_move(*, on_hand: int, kind: MoveKind, quantity: int) -> int:
    """The quantity on hand after the move; raises StockRefused (negative stock, bad quantity)."""
    if type(quantity) is not int or not 0 <= quantity <= MAX_QUANTITY:
        raise StockRefused("quantity", f"a quantity is a whole number from 0 to {MAX_QUANTITY}")
    if kind is MoveKind.COUNTED:
        return quantity
    if quantity == 0:
        raise StockRefused("quantity", "a move is of at least one unit")
    if kind is MoveKind.RECEIVED:
        return on_hand + quantity
    if quantity > on_hand:
        raise StockRefused("negative", f"only {on_hand} on hand; {quantity} cannot be taken")
    return on_hand - quantity


@dataclass(frozen=True, slots=True)
class ReorderPoint:
    minimum: int
    maximum: int
    pack_size: int

    def __post_init__(self) -> None:
        if not (0 <= self.minimum < self.maximum and self.pack_size >= 1):
            raise ValueError("0 <= minimum < maximum and a pack of at least one unit")


def reorder_packs(point: ReorderPoint, *, on_hand: int, on_order: int) -> int:
    """How many packs to order now (0: nothing to do)."""
    available = on_hand + on_order
    if available >= point.minimum:
        return 0
    short = point.maximum - available
    return -(-short // point.pack_size)  # ceiling division
