"""The channel port and the ARI it carries (pure: no I/O).

ARI is availability, rates and inventory: per room type (and rate plan) and night, what a
channel may sell. An update carries ranges of nights with equal values, so a year of unchanged
prices is one range; every adapter (OTA XML, a test double) implements :class:`ChannelPort`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, Protocol

MessageKind = Literal["availability", "restrictions", "rates", "counts"]


@dataclass(frozen=True)
class NightAri:
    """What one room type under one rate plan may sell on a night."""

    free: int  # rooms left of the type
    price_minor: int | None  # None: no price that night (closed)
    stop_sell: bool = False
    closed_to_arrival: bool = False
    closed_to_departure: bool = False
    min_stay: int | None = None
    max_stay: int | None = None

    @property
    def open(self) -> bool:
        return self.free > 0 and not self.stop_sell and self.price_minor is not None


@dataclass(frozen=True)
class AriRange:
    """Nights ``start``..``end`` (both included, as OTA's Start/End) sharing one value."""

    start: date
    end: date
    value: NightAri
    weekdays: frozenset[int] | None = None  # only these weekdays (0=Monday) of start..end; None: all


@dataclass(frozen=True)
class AriItem:
    """The ranges of one room type (and plan), in the channel's codes."""

    room_code: str
    rate_code: str | None  # None for counts, which are per room type
    ranges: tuple[AriRange, ...]
    # rates only: (guests, basis points over the room's price) per occupancy; None: one amount
    occupancy: tuple[tuple[int, int], ...] | None = None


@dataclass(frozen=True)
class AriUpdate:
    """One message to a channel: one kind of ARI for one or more room types and plans."""

    kind: MessageKind
    hotel_code: str
    currency: str
    decimals: int
    after_tax: bool  # prices include tax
    items: tuple[AriItem, ...]


class ChannelPort(Protocol):
    """Where ARI goes; raises ``cloud.core.delivery.DeliveryError`` (``permanent``,
    ``retry_after``) when the channel refuses or cannot be reached."""

    def push(self, update: AriUpdate) -> None: ...


def relevant(kind: MessageKind, value: NightAri) -> tuple[object, ...]:
    """The part of a night's value a kind of message carries (ranges split only on that)."""
    if kind == "counts":
        return (value.free,)
    if kind == "availability":
        return (value.open,)
    if kind == "rates":
        return (value.price_minor,)
    return (value.closed_to_arrival, value.closed_to_departure, value.min_stay, value.max_stay)


def coalesce(kind: MessageKind, nights: Iterable[tuple[date, NightAri]]) -> tuple[AriRange, ...]:
    """Consecutive nights whose relevant values are equal become one range (nights in order)."""
    out: list[AriRange] = []
    for night, value in nights:
        last = out[-1] if out else None
        if (
            last is not None
            and last.end + timedelta(days=1) == night
            and relevant(kind, last.value) == relevant(kind, value)
        ):
            out[-1] = AriRange(last.start, night, last.value)
        else:
            out.append(AriRange(night, night, value))
    return tuple(out)


def with_markup(amount_minor: int, markup_bp: int) -> int:
    """A price raised (or lowered) by basis points, rounded half up to a minor unit."""
    return (amount_minor * (10_000 + markup_bp) + 5_000) // 10_000


def merge_spans(spans: Sequence[tuple[date, date]], *, gap: int = 0) -> list[tuple[date, date]]:
    """Inclusive night spans, overlapping or touching ones merged (sorted); with ``gap``, also
    those at most that many nights apart (resending a few unchanged nights costs less than a call)."""
    merged: list[tuple[date, date]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + timedelta(days=1 + gap):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def weekly(
    kind: MessageKind, nights: Sequence[tuple[date, NightAri]], *, plain: tuple[AriRange, ...]
) -> tuple[AriRange, ...]:
    """The same nights as ranges with weekday flags, when that takes fewer ranges than ``plain``.

    Each weekday's nights with equal values over consecutive weeks make a run; runs of different
    weekdays over the same weeks with the same value share one range (``Start``..``End`` with
    those weekdays' flags), so a year of weekday and weekend prices is two ranges, not 104.
    """
    if len(plain) <= 2 or not nights:
        return plain
    first, last = nights[0][0], nights[-1][0]
    monday = first - timedelta(days=first.weekday())
    last_week = (last - monday).days // 7
    runs: dict[tuple[int, int, tuple[object, ...]], list[int]] = {}
    value_of: dict[tuple[int, int, tuple[object, ...]], NightAri] = {}
    open_runs: dict[int, tuple[date, date, tuple[object, ...], NightAri]] = {}  # weekday -> run

    def close(w: int, run: tuple[date, date, tuple[object, ...], NightAri]) -> None:
        # a run reaching the span's edge covers the edge week too (its night there is outside)
        a = 0 if run[0] - timedelta(days=7) < first else (run[0] - monday).days // 7
        b = last_week if run[1] + timedelta(days=7) > last else (run[1] - monday).days // 7
        runs.setdefault((a, b, run[2]), []).append(w)
        value_of[(a, b, run[2])] = run[3]

    for night, value in nights:
        w, key = night.weekday(), relevant(kind, value)
        run = open_runs.get(w)
        if run is not None and run[2] == key and run[1] + timedelta(days=7) == night:
            open_runs[w] = (run[0], night, key, run[3])
            continue
        if run is not None:
            close(w, run)
        open_runs[w] = (night, night, key, value)
    for w, run in open_runs.items():
        close(w, run)
    if len(runs) >= len(plain):
        return plain
    out = [
        AriRange(
            max(first, monday + timedelta(weeks=a)),
            min(last, monday + timedelta(weeks=b, days=6)),
            value_of[(a, b, key)],
            frozenset(days) if len(days) < 7 else None,
        )
        for (a, b, key), days in runs.items()
    ]
    return tuple(sorted(out, key=lambda r: (r.start, sorted(r.weekdays or ()))))


def occupancy_prices(max_guests: int, adjust_bp: dict[str, int] | None) -> tuple[tuple[int, int], ...] | None:
    """Per occupancy 1..max_guests, basis points over the room's price (None: one amount for all)."""
    if not adjust_bp:
        return None
    return tuple((guests, int(adjust_bp.get(str(guests), 0))) for guests in range(1, max_guests + 1))
