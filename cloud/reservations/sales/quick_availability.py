"""Availability from the catalog kept in memory and one statement for the inventory.

The types, plans, prices and restrictions come from the property's catalog copy (``sellable``),
good while the catalog stamp holds. One statement reads the stamp and, per room type, the
fewest rooms left on any night of the stay; when the stamp it read is not the copy's, the copy
is read again and so is the inventory. The quotes are priced by the pure pricing core, so the
answer is the one ``queries.availability`` gives, as plain data for the JSON encoder.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, Integer, bindparam, text
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from cloud.catalog.pricing import quote, restriction
from cloud.core.errors import Conflict, DomainError
from cloud.core.fast_reads import FastReads
from cloud.core.nights import Stay
from cloud.reservations.sales.sellable import Sellable, SellableCache, TypeInfo, read_stamp

# The stamp comes back on its own row (room type NULL); a type with no inventory rows yet for
# the stay has every room free.
_INVENTORY = (
    "SELECT NULL, (SELECT stamp FROM catalog_stamp WHERE id = 1) "
    "UNION ALL "
    "SELECT i.room_type_id, min(i.capacity - i.sold) FROM type_inventory i "
    "JOIN room_types t ON t.id = i.room_type_id "
    "WHERE t.property_id = :property AND i.night >= :arrival AND i.night < :departure "
    "GROUP BY i.room_type_id"
)
_PARAMS = (bindparam("property", type_=Integer), bindparam("arrival", type_=Date),
           bindparam("departure", type_=Date))
INVENTORY = text(_INVENTORY).bindparams(*_PARAMS)
# The same with the access stamp first (room type -1), so the request's principal is checked
# with no read of its own: the whole request in one statement.
ACCESS = -1
WITH_ACCESS_STAMP = text(
    f"SELECT {ACCESS}, (SELECT stamp FROM access_stamp WHERE id = 1) UNION ALL {_INVENTORY}"
).bindparams(*_PARAMS)
ATTEMPTS = 3  # catalog changes racing the read: read it again, then give up


class CatalogChanging(Conflict):
    """The catalog changed under every attempt to read it."""


DERIVED_LIMIT = 4096  # stays priced per catalog copy before its memo starts again


def offers(
    sellable: Sellable, left: Mapping[int, int], *, stay: Stay, guests: int, room_type: str | None
) -> list[dict[str, Any]]:
    """Every sellable (type, plan) with its quote, as ``QuoteOut`` fields (pure).

    ``left``: the fewest rooms left per type id over the stay's nights that have inventory rows."""
    rooms = rooms_by_type(sellable, stay.arrival)
    found = []
    for type_, template in priced(sellable, stay):
        if type_.max_guests < guests or (room_type and type_.code != room_type):
            continue
        free = min(rooms.get(type_.id, 0), left.get(type_.id, rooms.get(type_.id, 0)))
        if free > 0:
            offer = dict(template)
            offer["rooms_left"] = free
            found.append(offer)
    return found


def priced(sellable: Sellable, stay: Stay) -> tuple[tuple[TypeInfo, dict[str, Any]], ...]:
    """Every (type, plan) the stay can be priced for, in the answer's order, with its quote and
    restriction (``rooms_left`` still 0): pure in the copy and the stay, so kept with the copy."""
    key = ("priced", stay.arrival, stay.departure)
    found: tuple[tuple[TypeInfo, dict[str, Any]], ...] | None = sellable.derived.get(key)
    if found is not None:
        return found
    types = sorted(sellable.types.values(), key=lambda t: (t.rank, t.id))
    plans = sorted(sellable.plans.values(), key=lambda p: p.id)
    entries = []
    for type_ in types:
        for plan in plans:
            try:
                quoted = quote(sellable.rules.get((plan.id, type_.id), ()), stay,
                               currency=sellable.currency, policy=plan.policy)
            except DomainError:
                continue  # no price for some night, or the stay is too short for this plan
            entries.append((type_, {
                "room_type": type_.code, "room_type_name": type_.name, "max_guests": type_.max_guests,
                "rooms_left": 0, "rate_plan": plan.code, "rate_plan_name": plan.name,
                "refundable": plan.policy.refundable, "currency": quoted.currency,
                "nights": [{"night": n, "amount_minor": a} for n, a in quoted.nights],
                "total_minor": quoted.total_minor, "deposit_minor": quoted.deposit_minor,
                "unavailable": restriction(sellable.stay_rules(plan_id=plan.id, type_id=type_.id), stay),
            }))
    found = tuple(entries)
    _keep(sellable, key, found)
    return found


def rooms_by_type(sellable: Sellable, arrival: date) -> dict[int, int]:
    """Rooms per type still sold on ``arrival`` (a room retired from that night on is not),
    counted once per catalog copy and arrival night."""
    key = ("rooms", arrival)
    found: dict[int, int] | None = sellable.derived.get(key)
    if found is not None:
        return found
    counts: dict[int, int] = {}
    for room in sellable.rooms.values():
        since = sellable.retired.get(room.id)
        if since is None or since > arrival:
            counts[room.type_id] = counts.get(room.type_id, 0) + 1
    _keep(sellable, key, counts)
    return counts


def _keep(sellable: Sellable, key: tuple[Any, ...], value: Any) -> None:
    with _derived_lock:
        if len(sellable.derived) >= DERIVED_LIMIT:
            sellable.derived.clear()
        sellable.derived[key] = value


_derived_lock = threading.Lock()


@dataclass(frozen=True)
class Read:
    """The inventory read for a catalog copy, before the request's principal was resolved."""

    sellable: Sellable
    stay: Stay
    rows: list[tuple[Any, ...]]


async def read_with_access_stamp(
    reads: FastReads, cache: SellableCache, site: str, *, stay: Stay
) -> tuple[int, Read] | None:
    """The access stamp and the stay's inventory in one statement, for the kept catalog copy (None
    when there is none yet). Answer nothing from it before the principal is checked."""
    sellable = cache.latest(site)
    if sellable is None:
        return None
    params = {"property": sellable.property_id, "arrival": stay.arrival, "departure": stay.departure}
    rows = await reads.rows(WITH_ACCESS_STAMP, params)
    access = next(int(value) for type_id, value in rows if type_id == ACCESS)
    return access, Read(sellable, stay, [row for row in rows if row[0] != ACCESS])


async def search(
    reads: FastReads, cache: SellableCache, sessions: sessionmaker[Session], site: str, *,
    stay: Stay, guests: int, room_type: str | None, read: Read | None = None,
) -> list[dict[str, Any]]:
    """``offers`` for ``site``: the catalog from memory (read on a worker thread when missing
    or stale), the inventory in one statement on the event loop (or ``read`` already, when it
    was read for this stay and the copy kept now)."""
    sellable = cache.latest(site)
    if sellable is None:
        sellable = await run_in_threadpool(_load, cache, sessions, site)
    params = {"property": sellable.property_id, "arrival": stay.arrival, "departure": stay.departure}
    for _attempt in range(ATTEMPTS):
        if read is not None and read.sellable is sellable and read.stay == stay:
            rows = read.rows
        else:
            rows = await reads.rows(INVENTORY, params)
        read = None
        stamp = next(int(value) for type_id, value in rows if type_id is None)
        if stamp == sellable.stamp:
            left = {int(type_id): int(value) for type_id, value in rows if type_id is not None}
            return offers(sellable, left, stay=stay, guests=guests, room_type=room_type)
        sellable = await run_in_threadpool(_load, cache, sessions, site)
        params["property"] = sellable.property_id
    raise CatalogChanging("the catalog kept changing while availability was read; try again")


def _load(cache: SellableCache, sessions: sessionmaker[Session], site: str) -> Sellable:
    with sessions() as session:
        return cache.get(session, site, stamp=read_stamp(session))
