"""What a room type under a rate plan may sell, night by night, read from the database."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog import service as catalog
from cloud.catalog.models import RatePlan, Room, RoomType
from cloud.catalog.pricing import PriceRule, StayRule, night_rule
from cloud.channels.port import NightAri, with_markup
from cloud.reservations.models import TypeInventory


def nights(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def free_rooms(
    session: Session, *, type_id: int, first: date, last: date, retired: list[date | None] | None = None
) -> dict[date, int]:
    """Rooms of the type left to sell each night (no inventory row yet: every room not retired)."""
    if retired is None:
        retired = list(session.scalars(select(Room.retired_from).where(Room.room_type_id == type_id)))
    rows = dict(
        session.execute(
            select(TypeInventory.night, TypeInventory.capacity - TypeInventory.sold).where(
                TypeInventory.room_type_id == type_id,
                TypeInventory.night >= first,
                TypeInventory.night <= last,
            )
        ).all()
    )
    return {
        n: max(int(rows[n]), 0) if n in rows else sum(1 for r in retired if r is None or r > n)
        for n in nights(first, last)
    }


def night_values(
    session: Session, *, type_id: int, plan_id: int, markup_bp: int, first: date, last: date
) -> list[tuple[date, NightAri]]:
    """Every night from ``first`` to ``last`` (included) of a type under a plan, as a channel sees it."""
    return AriReader(session).values(
        type_id=type_id, plan_id=plan_id, markup_bp=markup_bp, first=first, last=last
    )


class AriReader:
    """Reads ARI for many (type, plan) ranges in one session, each catalog part read once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._prices: dict[tuple[int, int], list[PriceRule]] = {}
        self._rules: dict[int, list[StayRule]] = {}
        self._retired: dict[int, list[date | None]] = {}
        self._left: dict[tuple[int, date], int] = {}  # preloaded inventory: (type, night) -> rooms left
        self._span: tuple[set[int], date, date] | None = None

    def preload(self, wanted: list[tuple[int, date, date]]) -> None:
        """Read the inventory and rooms of every (type, first, last) of a batch in two queries."""
        if not wanted:
            return
        types = {t for t, _f, _l in wanted}
        first, last = min(f for _t, f, _l in wanted), max(lst for _t, _f, lst in wanted)
        for type_id, retired in self.session.execute(
            select(Room.room_type_id, Room.retired_from).where(Room.room_type_id.in_(types))
        ).all():
            self._retired.setdefault(type_id, []).append(retired)
        for type_id in types:
            self._retired.setdefault(type_id, [])
        self._left = {
            (t, n): max(int(left), 0)
            for t, n, left in self.session.execute(
                select(
                    TypeInventory.room_type_id,
                    TypeInventory.night,
                    TypeInventory.capacity - TypeInventory.sold,
                ).where(
                    TypeInventory.room_type_id.in_(types),
                    TypeInventory.night >= first,
                    TypeInventory.night <= last,
                )
            ).all()
        }
        self._span = (types, first, last)

    def values(
        self, *, type_id: int, plan_id: int, markup_bp: int, first: date, last: date
    ) -> list[tuple[date, NightAri]]:
        session = self.session
        type_, plan = session.get(RoomType, type_id), session.get(RatePlan, plan_id)
        assert type_ is not None and plan is not None
        if type_id not in self._retired:
            self._retired[type_id] = list(
                session.scalars(select(Room.retired_from).where(Room.room_type_id == type_id))
            )
        span = self._span
        if span is not None and type_id in span[0] and span[1] <= first and last <= span[2]:
            retired = self._retired[type_id]
            free = {
                n: self._left.get((type_id, n), sum(1 for r in retired if r is None or r > n))
                for n in nights(first, last)
            }
        else:
            free = free_rooms(
                session, type_id=type_id, first=first, last=last, retired=self._retired[type_id]
            )
        if (plan_id, type_id) not in self._prices:
            self._prices[(plan_id, type_id)] = catalog.price_rules(session, plan_id=plan_id, type_id=type_id)
        if type_.property_id not in self._rules:
            self._rules[type_.property_id] = catalog.stay_rules(session, property_id=type_.property_id)
        prices = self._prices[(plan_id, type_id)]
        rules = [
            r
            for r in self._rules[type_.property_id]
            if r.concerns(plan_id=plan_id, type_id=type_id) and r.start <= last and r.end > first
        ]
        return _nightly(first, last, free, prices, rules, markup_bp, plan.min_stay)


def _nightly(
    first: date,
    last: date,
    free: dict[date, int],
    prices: list[PriceRule],
    rules: list[StayRule],
    markup_bp: int,
    plan_min: int,
) -> list[tuple[date, NightAri]]:
    out = []
    for night in nights(first, last):
        rule = night_rule(prices, night)
        out.append(
            (
                night,
                _value(
                    free[night],
                    rule.amount_minor if rule else None,
                    markup_bp,
                    [r for r in rules if r.covers(night)],
                    plan_min,
                ),
            )
        )
    return out


def _value(free: int, price: int | None, markup_bp: int, rules: list[StayRule], plan_min: int) -> NightAri:
    least = max([plan_min, *(r.min_stay for r in rules if r.min_stay)])
    most = min((r.max_stay for r in rules if r.max_stay), default=None)
    return NightAri(
        free=free,
        price_minor=None if price is None else with_markup(price, markup_bp),
        stop_sell=any(r.stop_sell for r in rules),
        closed_to_arrival=any(r.closed_to_arrival for r in rules),
        closed_to_departure=any(r.closed_to_departure for r in rules),
        min_stay=least if least > 1 else None,
        max_stay=most,
    )
