"""What a property sells, kept in memory between catalog changes, so a booking reads no catalog rows.

Every booking reads the catalog stamp (one row the catalog tables' triggers change on every
write, to a value never used before) and uses its copy only while the stamp matches; otherwise
it reads the catalog again in its own transaction. Copies are kept per engine: two databases
may hand out the same stamp.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from cloud.catalog import service as catalog
from cloud.catalog.models import CatalogStamp, RatePlan, Room, RoomType
from cloud.catalog.pricing import PriceRule, RatePolicy, StayRule
from cloud.reservations.errors import UnknownResource
from cloud.reservations.sales import rooms_inventory
from cloud.reservations.sales.assignment import RoomInfo


@dataclass(frozen=True)
class TypeInfo:
    id: int
    code: str
    max_guests: int
    rank: int
    name: str = ""


@dataclass(frozen=True)
class PlanInfo:
    id: int
    code: str
    policy: RatePolicy
    name: str = ""


@dataclass(frozen=True)
class Sellable:
    """One property's catalog as of a stamp."""

    stamp: int
    property_id: int
    slug: str
    timezone: str
    currency: str
    checkout_at: time
    checkin_from: time
    name: str  # the property's, as guests read it
    language: str  # the guests' default language
    types: Mapping[str, TypeInfo]
    plans: Mapping[str, PlanInfo]
    rules: Mapping[tuple[int, int], tuple[PriceRule, ...]]  # (plan id, type id)
    rooms: Mapping[int, RoomInfo]  # by room id
    restrictions: tuple[StayRule, ...] = ()
    retired: Mapping[int, date] = field(default_factory=dict)  # room id -> retired from that night
    # answers derived from this copy alone (pure), kept with it: a new copy starts empty
    derived: dict[Any, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def stay_rules(self, *, plan_id: int, type_id: int) -> tuple[StayRule, ...]:
        return tuple(r for r in self.restrictions if r.concerns(plan_id=plan_id, type_id=type_id))

    def type_and_plan(self, type_code: str, plan_code: str) -> tuple[TypeInfo, PlanInfo]:
        type_, plan = self.types.get(type_code), self.plans.get(plan_code)
        if type_ is None:
            raise UnknownResource(f"no room type {type_code!r} at {self.slug}")
        if plan is None:
            raise UnknownResource(f"no rate plan {plan_code!r} at {self.slug}")
        return type_, plan


_SOLD = "reservations.sold_from"


def sold_from(session: Session, reservation_id: str, copy: Sellable) -> None:
    """Note the catalog copy a booking was sold from (its stamp read in this transaction)."""
    session.info.setdefault(_SOLD, {})[reservation_id] = copy


def copy_sold_from(session: Session, reservation_id: str) -> Sellable | None:
    """The copy a reservation booked in this session was sold from, or None: what the stay's
    other records need of the property (its slug, name, zone, hours) without reading its row."""
    found: Sellable | None = session.info.get(_SOLD, {}).get(reservation_id)
    return found


def read_stamp(session: Session) -> int:
    stamp = session.scalar(select(CatalogStamp.stamp).where(CatalogStamp.id == 1))
    if stamp is None:
        raise RuntimeError("the catalog_stamp row is missing: run the migrations")
    return int(stamp)


def load(session: Session, site: str, *, stamp: int) -> Sellable:
    """Read a property's catalog (after its stamp, so the copy is never older than the stamp)."""
    prop = catalog.get_property(session, site)
    types = {
        t.code: TypeInfo(id=t.id, code=t.code, max_guests=t.max_guests, rank=t.rank, name=t.name)
        for t in session.scalars(select(RoomType).where(RoomType.property_id == prop.id))
    }
    plans = {
        p.code: PlanInfo(id=p.id, code=p.code, policy=catalog.policy_of(p), name=p.name)
        for p in session.scalars(select(RatePlan).where(RatePlan.property_id == prop.id))
    }
    rules = catalog.all_price_rules(
        session, plan_ids=[p.id for p in plans.values()], type_ids=[t.id for t in types.values()]
    )
    return Sellable(
        stamp=stamp,
        property_id=prop.id,
        slug=prop.slug,
        timezone=prop.timezone,
        currency=prop.currency,
        checkout_at=prop.checkout_at,
        checkin_from=prop.checkin_from,
        name=prop.name,
        language=prop.language,
        types=types,
        plans=plans,
        rules={key: tuple(found) for key, found in rules.items()},
        rooms={room.id: room for room in rooms_inventory.room_infos(session, prop)},
        restrictions=tuple(catalog.stay_rules(session, property_id=prop.id)),
        retired={room_id: since for room_id, since in session.execute(
            select(Room.id, Room.retired_from)
            .where(Room.property_id == prop.id, Room.retired_from.is_not(None))
        ) if since is not None},
    )


class SellableCache:
    """Each property's latest catalog copy; a copy with another stamp is read again."""

    def __init__(self) -> None:
        self._copies: dict[str, Sellable] = {}
        self._loading = threading.Lock()  # 50 threads missing at once read the catalog once

    def latest(self, site: str) -> Sellable | None:
        """The copy kept, whatever its stamp (the caller checks it before relying on it)."""
        return self._copies.get(site)

    def get(self, session: Session, site: str, *, stamp: int) -> Sellable:
        found = self._copies.get(site)
        if found is not None and found.stamp == stamp:
            return found
        with self._loading:
            found = self._copies.get(site)
            if found is None or found.stamp != stamp:
                found = self._copies[site] = load(session, site, stamp=stamp)
        return found


_caches: WeakKeyDictionary[Engine, SellableCache] = WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_of(engine: Engine) -> SellableCache:
    with _caches_lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = _caches[engine] = SellableCache()
        return cache
