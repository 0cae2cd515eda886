"""Spending and reversing points across lots: pure arithmetic over what a member holds.

A lot is what one stay or action earned. It is pending until the stay checks out, then
available until it expires. Redemptions draw from the lots that expire first; a reversal
takes back from its own lots what is left of them, never more: a balance never goes negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


class NotEnoughPoints(ValueError):
    """A redemption larger than what the member holds."""


@dataclass(frozen=True, slots=True)
class LotView:
    id: str
    remaining: int
    expires_on: date | None  # None: does not expire


@dataclass(frozen=True, slots=True)
class Draw:
    lot_id: str
    points: int


def draw(lots: list[LotView], *, points: int, today: date) -> list[Draw]:
    """Take ``points`` from the live lots, earliest expiry first (then oldest id)."""
    if points <= 0:
        raise ValueError("a redemption is a positive number of points")
    live = sorted(
        (lot for lot in lots if lot.remaining > 0 and not _expired(lot, today)),
        key=lambda lot: (lot.expires_on or date.max, lot.id),
    )
    if sum(lot.remaining for lot in live) < points:
        raise NotEnoughPoints(f"{points} points asked, {sum(lot.remaining for lot in live)} held")
    draws: list[Draw] = []
    left = points
    for lot in live:
        take = min(lot.remaining, left)
        draws.append(Draw(lot.id, take))
        left -= take
        if left == 0:
            break
    return draws


def take_back(lots: list[LotView], *, points: int) -> list[Draw]:
    """Reverse up to ``points`` from these lots (a refunded or cancelled stay's), latest first."""
    draws: list[Draw] = []
    left = max(points, 0)
    for lot in sorted(lots, key=lambda lot: lot.id, reverse=True):
        take = min(lot.remaining, left)
        if take > 0:
            draws.append(Draw(lot.id, take))
            left -= take
    return draws


def expired(lots: list[LotView], *, today: date) -> list[Draw]:
    """What is left of every lot whose last day is before ``today``."""
    return [Draw(lot.id, lot.remaining) for lot in lots if lot.remaining > 0 and _expired(lot, today)]


def _expired(lot: LotView, today: date) -> bool:
    return lot.expires_on is not None and lot.expires_on < today
