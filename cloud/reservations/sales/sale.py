"""Writing one sale in few round trips: stamp, inventory, free rooms, then the rows in one statement.

On PostgreSQL these statements go straight to the driver's connection inside the session's
transaction (the ORM's unit of work costs more Python than the database spends on them), with
fixed texts so the driver prepares them once. SQLite runs the same steps as Core statements.
The invariants stay with the database: ``CHECK (sold <= capacity)`` and the exclusion
constraint (``room_nights`` primary key on SQLite) refuse whatever slips past these queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import insert as sql_insert
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from cloud.core import plain_inserts
from cloud.core.nights import Stay
from cloud.reservations.errors import RoomUnavailable, SoldOut
from cloud.reservations.models import Reservation, ReservationNight, TypeInventory
from cloud.reservations.sales import allocation, inventory
from cloud.reservations.sales.sellable import read_stamp

FreeRoom = tuple[int, date | None, date | None]  # room id, free from, free until

# Lock every night of the stay in night order, but only when every night has its row (so a
# booking never holds a night while it creates another: first sales take the careful path,
# which creates rows in night order before it locks any), then sell the nights with room left.
# Answers how many nights it locked and which it sold.
_SELL_CTES = """
WITH locked AS (
    SELECT night FROM type_inventory
    WHERE room_type_id = %(type_id)s AND night >= %(arrival)s AND night < %(departure)s
      AND (SELECT count(*) FROM type_inventory WHERE room_type_id = %(type_id)s
           AND night >= %(arrival)s AND night < %(departure)s) = %(nights)s
    ORDER BY night FOR UPDATE
), sold AS (
    UPDATE type_inventory t SET sold = t.sold + 1 FROM locked
    WHERE t.room_type_id = %(type_id)s AND t.night = locked.night AND t.sold < t.capacity
    RETURNING t.night
)"""
_SELL = _SELL_CTES + "\nSELECT (SELECT count(*) FROM locked), ARRAY(SELECT night FROM sold)"
_UNSELL = """
UPDATE type_inventory SET sold = sold - 1 WHERE room_type_id = %(type_id)s AND night = ANY(%(nights)s)
"""
# A room is free when the last stay starting before the departure ends by the arrival (a room's
# stays never overlap); that end and the next start are the free run around the stay. One probe
# of (room_id, start_night) per room of the type, a second for the free ones only (the lateral
# join keeps the planner from probing twice for the filter); end_night is in that index.
_FREE = """
SELECT r.id, before.end_night AS free_from, (
    SELECT a.start_night FROM room_allocations a WHERE a.room_id = r.id AND a.start_night >= %(departure)s
    ORDER BY a.start_night LIMIT 1) AS free_until
FROM rooms r LEFT JOIN LATERAL (
    SELECT a.end_night FROM room_allocations a WHERE a.room_id = r.id AND a.start_night < %(departure)s
    ORDER BY a.start_night DESC LIMIT 1) AS before ON true
WHERE r.room_type_id = %(type_id)s AND (before.end_night IS NULL OR before.end_night <= %(arrival)s)
  AND (r.retired_from IS NULL OR r.retired_from >= %(departure)s)
"""
# The catalog stamp, the sale and the free rooms in one round trip: a head row (the stamp is
# never NULL there) and one row per free room. The free rooms are read in the statement's
# snapshot, taken before any wait for the inventory locks: a room sold meanwhile is refused by
# the exclusion constraint at the insert, and booking looks again before it upgrades.
_SELL_AND_FIND = (
    _SELL_CTES
    + """, free AS ("""
    + _FREE
    + """)
SELECT (SELECT stamp FROM catalog_stamp WHERE id = 1), (SELECT count(*) FROM locked),
    ARRAY(SELECT night FROM sold), NULL::int, NULL::date, NULL::date
UNION ALL
SELECT NULL, NULL, NULL, id, free_from, free_until FROM free
"""
)
# SQLite has no lateral join: the same question with correlated subqueries
_FREE_SQLITE = text("""
SELECT id, free_from, free_until FROM (
    SELECT r.id,
        (SELECT a.end_night FROM room_allocations a WHERE a.room_id = r.id AND a.start_night < :departure
         ORDER BY a.start_night DESC LIMIT 1) AS free_from,
        (SELECT a.start_night FROM room_allocations a
         WHERE a.room_id = r.id AND a.start_night >= :departure
         ORDER BY a.start_night LIMIT 1) AS free_until
    FROM rooms r WHERE r.room_type_id = :type_id AND (r.retired_from IS NULL OR r.retired_from >= :departure)
) AS around WHERE free_from IS NULL OR free_from <= :arrival
""")
_NAMES = (
    "id", "property_id", "status", "guest_id", "guest_name", "guest_email", "guest_phone", "adults",
    "children", "room_type_id", "inventory_type_id", "rate_plan_id", "block_id", "arrival", "departure",
    "currency", "total_minor", "deposit_required_minor", "cancellation_fee_minor", "late_checkout_fee_minor",
    "checkout_due_at", "preferences", "notes", "created_at", "guest_language",
    "guest_name_words", "guest_email_bidx", "guest_phone_bidx",
)  # fmt: skip
# attributes whose column has another name and seals what it is given (see cloud.guests.sealed)
_SEALED = ("guest_name", "guest_email", "guest_phone", "preferences", "notes",
           "guest_name_words", "guest_email_bidx", "guest_phone_bidx")
_COLUMNS = {name: Reservation.__mapper__.columns[name] for name in _NAMES}
_SEALERS: dict[str, Any] = {name: _COLUMNS[name].type for name in _SEALED}
# The reservation, its nights and its room in one statement; a room taken meanwhile is skipped
# (ON CONFLICT DO NOTHING covers the exclusion constraint) and the caller tries the next.
_INSERT = f"""
WITH res AS (
    INSERT INTO reservations ({", ".join(_COLUMNS[name].name for name in _NAMES)})
    VALUES ({", ".join(f"%({name})s" for name in _NAMES)})
    RETURNING id
), priced AS (
    INSERT INTO reservation_nights (reservation_id, night, amount_minor)
    SELECT res.id, n.night, n.amount
    FROM res, unnest(%(nights)s::date[], %(amounts)s::int[]) AS n(night, amount)
)
INSERT INTO room_allocations (room_id, reservation_id, kind, start_night, end_night, note)
SELECT %(room_id)s::int, res.id, 'stay', %(arrival)s, %(departure)s, '' FROM res
WHERE %(room_id)s::int IS NOT NULL
ON CONFLICT DO NOTHING
RETURNING room_id, id
"""
_ALLOCATE = """
INSERT INTO room_allocations (room_id, reservation_id, kind, start_night, end_night, note)
VALUES (%(room_id)s, %(reservation_id)s, 'stay', %(arrival)s, %(departure)s, '')
ON CONFLICT DO NOTHING
RETURNING room_id, id
"""
_STAMP = "SELECT stamp FROM catalog_stamp WHERE id = 1"


class Sale:
    """One booking's statements, on the session's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        conn = session.connection()
        # psycopg's own connection on PostgreSQL; None on SQLite (Core statements there)
        self.raw: Any = conn.connection.driver_connection if conn.dialect.name == "postgresql" else None

    def stamp(self) -> int:
        if self.raw is None:
            return read_stamp(self.session)
        row = self.raw.execute(_STAMP).fetchone()
        if row is None:
            raise RuntimeError("the catalog_stamp row is missing: run the migrations")
        return int(row[0])

    def sell_nights(self, *, type_id: int, stay: Stay) -> None:
        """One more sold on every night of the type; SoldOut (and nothing changed) if a night is full."""
        if self.raw is None:
            return self._sell_nights_core(type_id=type_id, stay=stay)
        params = {"type_id": type_id, "arrival": stay.arrival, "departure": stay.departure}
        locked, sold = self.raw.execute(_SELL, {**params, "nights": stay.nights}).fetchone()
        self._settle(type_id=type_id, stay=stay, locked=locked, sold=sold)

    def sell_and_find(self, *, type_id: int, stay: Stay, stamp: int) -> list[FreeRoom] | None:
        """``sell_nights`` then ``free_rooms``, in one round trip on PostgreSQL, with a catalog copy
        of ``stamp``. None when the catalog has changed since: nothing is sold, read it again."""
        if self.raw is None:
            if read_stamp(self.session) != stamp:
                return None
            self.sell_nights(type_id=type_id, stay=stay)
            return self.free_rooms(type_id=type_id, stay=stay)
        params = {"type_id": type_id, "arrival": stay.arrival, "departure": stay.departure}
        # the rows queued before the sale (the booking's guest) are written by the same statement
        params["nights"] = stay.nights
        rows = plain_inserts.send_before(self.session, self.raw, _SELL_AND_FIND, params)
        current, locked, sold = next(r[:3] for r in rows if r[0] is not None)
        if current != stamp:
            if sold:
                self.raw.execute(_UNSELL, {"type_id": type_id, "nights": sold})
            return None
        if len(sold) == stay.nights:
            return [(r[3], r[4], r[5]) for r in rows if r[0] is None]
        self._settle(type_id=type_id, stay=stay, locked=locked, sold=sold)  # refuses, or sells
        return self.free_rooms(type_id=type_id, stay=stay)

    def _settle(self, *, type_id: int, stay: Stay, locked: int, sold: list[date]) -> None:
        """After a sale that did not take every night: give those back, then refuse or go careful."""
        if len(sold) == stay.nights:
            return
        if sold:  # give back the nights sold before refusing, or before the careful path
            self.raw.execute(_UNSELL, {"type_id": type_id, "nights": sold})
        if locked == stay.nights:  # every night's row held, and some night full
            raise SoldOut(
                f"no room of this type is left for every night from {stay.arrival} to {stay.departure}"
            )
        # A first sale: the missing nights are created in night order while nothing is locked, then
        # every night is locked in night order and sold where there is room (as ``inventory.hold``
        # does, without a savepoint: this sale never trips the CHECK, it leaves a full night alone).
        params = {"type_id": type_id, "arrival": stay.arrival, "departure": stay.departure}
        self.raw.execute(inventory.CREATE_ROWS_PG, params)
        locked, sold = self.raw.execute(_SELL, {**params, "nights": stay.nights}).fetchone()
        if len(sold) == stay.nights:
            return
        if sold:
            self.raw.execute(_UNSELL, {"type_id": type_id, "nights": sold})
        if locked != stay.nights:  # a night's row not seen yet: the savepoint's way decides
            inventory.hold(self.session, type_id=type_id, stay=stay)
        else:
            raise SoldOut(
                f"no room of this type is left for every night from {stay.arrival} to {stay.departure}"
            )

    def _sell_nights_core(self, *, type_id: int, stay: Stay) -> None:
        """SQLite (one writer at a time): sell where there is room, else the careful path decides."""
        sold = list(
            self.session.scalars(
                update(TypeInventory)
                .where(
                    TypeInventory.room_type_id == type_id,
                    TypeInventory.night >= stay.arrival,
                    TypeInventory.night < stay.departure,
                    TypeInventory.sold < TypeInventory.capacity,
                )
                .values(sold=TypeInventory.sold + 1)
                .returning(TypeInventory.night)
                .execution_options(synchronize_session=False)
            )
        )
        if len(sold) == stay.nights:
            return
        if sold:
            self.session.execute(
                update(TypeInventory)
                .where(TypeInventory.room_type_id == type_id, TypeInventory.night.in_(sold))
                .values(sold=TypeInventory.sold - 1)
                .execution_options(synchronize_session=False)
            )
        inventory.hold(self.session, type_id=type_id, stay=stay)

    def free_rooms(self, *, type_id: int, stay: Stay) -> list[FreeRoom]:
        """Rooms of the type free for the whole stay, with the free run around it (ids only)."""
        params = {"type_id": type_id, "arrival": stay.arrival, "departure": stay.departure}
        if self.raw is not None:
            return [(r[0], r[1], r[2]) for r in self.raw.execute(_FREE, params).fetchall()]
        # SQLite keeps dates as ISO text: bind and read them as such
        iso = {**params, "arrival": stay.arrival.isoformat(), "departure": stay.departure.isoformat()}
        return [(r[0], _day(r[1]), _day(r[2])) for r in self.session.execute(_FREE_SQLITE, iso)]

    def insert(
        self, res: Reservation, *, nights: Sequence[tuple[date, int]], rooms: Sequence[int]
    ) -> int | None:
        """Write the reservation and its nights; hold the first of ``rooms`` still free (its id, or None)."""
        if self.raw is None:
            return self._insert_core(res, nights=nights, rooms=rooms)
        params = {column: getattr(res, column) for column in _NAMES}
        dialect = self.session.get_bind().dialect
        for name in _SEALED:  # psycopg's own statement: seal as the column type would
            params[name] = _SEALERS[name].process_bind_param(params[name], dialect)
        params["nights"] = [n for n, _a in nights]
        params["amounts"] = [a for _n, a in nights]
        params["room_id"] = rooms[0] if rooms else None
        stay = Stay(res.arrival, res.departure)
        if (row := self.raw.execute(_INSERT, params).fetchone()) is not None:
            allocation.held(self.session, allocation_id=row[1], room_id=row[0], reservation_id=res.id,
                            stay=stay)
            return rooms[0]
        for room_id in rooms[1:]:
            params = {"room_id": room_id, "reservation_id": res.id, "arrival": res.arrival}
            params["departure"] = res.departure
            if (row := self.raw.execute(_ALLOCATE, params).fetchone()) is not None:
                allocation.held(self.session, allocation_id=row[1], room_id=row[0], reservation_id=res.id,
                                stay=stay)
                return room_id
        return None

    def _insert_core(
        self, res: Reservation, *, nights: Sequence[tuple[date, int]], rooms: Sequence[int]
    ) -> int | None:
        self.session.execute(sql_insert(Reservation), [{column: getattr(res, column) for column in _NAMES}])
        self.session.execute(
            sql_insert(ReservationNight),
            [{"reservation_id": res.id, "night": n, "amount_minor": a} for n, a in nights],
        )
        stay = Stay(res.arrival, res.departure)
        for room_id in rooms:
            try:
                allocation.allocate(self.session, room_id=room_id, stay=stay, reservation_id=res.id)
                return room_id
            except RoomUnavailable:
                continue
        return None


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value
