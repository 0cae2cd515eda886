"""What a room type under a rate plan may sell, night by night, read from the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog import service as catalog
from cloud.catalog.models import CatalogStamp, RatePlan, RatePrice, Room, RoomType, weekdays_set
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


@dataclass
class AriCatalog:
    """What ARI reads of the catalog (types, plans, prices, rooms), good while ``stamp`` holds."""

    stamp: int | None = None
    types: dict[int, tuple[int, int]] = field(default_factory=dict)  # type -> (property, max guests)
    plans: dict[int, int] = field(default_factory=dict)  # plan -> its minimum stay
    prices: dict[tuple[int, int], list[PriceRule]] = field(default_factory=dict)  # (plan, type)
    retired: dict[int, list[date | None]] = field(default_factory=dict)  # type -> its rooms' retirement

    def current(self, session: Session, *, property_id: int | None = None) -> AriCatalog:
        """This copy, read again in four statements only when the catalog stamp moved (one read);
        with ``property_id``, a copy of that property's part only (a feed served once)."""
        stamp = session.scalar(select(CatalogStamp.stamp).where(CatalogStamp.id == 1))
        if stamp is not None and stamp == self.stamp and property_id is None:
            return self
        fresh = AriCatalog(stamp=None if property_id is not None else stamp)
        types = select(RoomType.id, RoomType.property_id, RoomType.max_guests)
        plans = select(RatePlan.id, RatePlan.min_stay)
        prices, rooms = select(RatePrice), select(Room.room_type_id, Room.retired_from)
        if property_id is not None:
            types = types.where(RoomType.property_id == property_id)
            plans = plans.where(RatePlan.property_id == property_id)
            prices = prices.join(RoomType, RoomType.id == RatePrice.room_type_id).where(
                RoomType.property_id == property_id
            )
            rooms = rooms.where(Room.property_id == property_id)
        fresh.types = {i: (p, g) for i, p, g in session.execute(types).all()}
        fresh.plans = dict(session.execute(plans).all())
        for r in session.scalars(prices):
            fresh.prices.setdefault((r.rate_plan_id, r.room_type_id), []).append(
                PriceRule(
                    amount_minor=r.amount_minor,
                    season_start=r.season_start,
                    season_end=r.season_end,
                    weekdays=weekdays_set(r.weekdays),
                    min_stay=r.min_stay,
                )
            )
        for type_id, retired in session.execute(rooms).all():
            fresh.retired.setdefault(type_id, []).append(retired)
        return fresh


class AriReader:
    """Reads ARI for many (type, plan) ranges in one session: inventory in one statement
    (:meth:`preload`), the catalog from a stamped copy, restrictions once per property."""

    def __init__(self, session: Session, catalog: AriCatalog | None = None) -> None:
        self.session = session
        self.catalog = catalog
        self._rules: dict[int, list[StayRule]] = {}
        self._left: dict[tuple[int, date], int] = {}  # preloaded inventory: (type, night) -> rooms left
        self._span: tuple[set[int], date, date] | None = None

    def preload(self, wanted: list[tuple[int, date, date]]) -> None:
        """Read the inventory of every (type, first, last) of a batch in one statement."""
        if not wanted:
            return
        if self.catalog is None:
            self.catalog = AriCatalog().current(self.session)
        types = {t for t, _f, _l in wanted}
        first, last = min(f for _t, f, _l in wanted), max(lst for _t, _f, lst in wanted)
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
        if self.catalog is None:  # one read (a feed): the type's property only
            type_ = self.session.get(RoomType, type_id)
            assert type_ is not None
            self.catalog = AriCatalog().current(self.session, property_id=type_.property_id)
        cat = self.catalog
        retired = cat.retired.get(type_id, [])
        span = self._span
        if span is not None and type_id in span[0] and span[1] <= first and last <= span[2]:
            free = {
                n: self._left.get((type_id, n), sum(1 for r in retired if r is None or r > n))
                for n in nights(first, last)
            }
        else:
            free = free_rooms(self.session, type_id=type_id, first=first, last=last, retired=retired)
        property_id = cat.types[type_id][0]
        if property_id not in self._rules:
            self._rules[property_id] = catalog.stay_rules(self.session, property_id=property_id)
        rules = [
            r
            for r in self._rules[property_id]
            if r.concerns(plan_id=plan_id, type_id=type_id) and r.start <= last and r.end > first
        ]
        prices = cat.prices.get((plan_id, type_id), [])
        return _nightly(first, last, free, prices, rules, markup_bp, cat.plans.get(plan_id, 1))


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
