"""The bare reference server of the HTTP benchmark: what FastAPI and PostgreSQL alone give.

One uvicorn process, an async psycopg pool, no ORM, no auth: the same booking semantics as the
cloud on a plain schema (find a room of the type free for the dates, insert the stay; an
exclusion constraint refuses a double booking, and the next free room is tried). It also answers
``/me`` with the one query the cloud's token lookup needs, ``/avail`` with the cloud's inventory
statement of availability, and ``/health`` with ``SELECT 1``.

Run: ``POSADA_REF_DSN=postgresql://... python -m uvicorn tests.bench.http_reference:app``.
Its schema lives in the ``ref`` schema of the database it is given (``prepare`` creates it).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import psycopg
from fastapi import FastAPI, Header, HTTPException
from fastapi.responses import JSONResponse
from psycopg import errors
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE SCHEMA ref;
CREATE TABLE ref.rooms (id serial PRIMARY KEY, room_type text NOT NULL);
CREATE INDEX ON ref.rooms (room_type);
CREATE TABLE ref.bookings (
    id bigserial PRIMARY KEY,
    room_id int NOT NULL REFERENCES ref.rooms (id),
    stay daterange NOT NULL,
    guest_name text NOT NULL,
    EXCLUDE USING gist (stay WITH &&, room_id WITH =)
);
"""
FREE = """
SELECT r.id FROM ref.rooms r
WHERE r.room_type = %(type)s AND NOT EXISTS (
    SELECT 1 FROM ref.bookings b WHERE b.room_id = r.id AND b.stay && daterange(%(arrival)s, %(departure)s))
LIMIT 5
"""
INSERT = """
INSERT INTO ref.bookings (room_id, stay, guest_name)
VALUES (%(room)s, daterange(%(arrival)s, %(departure)s), %(guest)s)
ON CONFLICT DO NOTHING RETURNING id
"""
ME = """
SELECT u.id, u.username, u.display_name, u.role, u.chain, u.site
FROM api_tokens t JOIN staff_users u ON u.id = t.user_id
WHERE t.token_hash = %s AND t.revoked_at IS NULL AND t.expires_at > now() AND u.active
"""

# availability: the cloud's own inventory statement (the fewest rooms left per type over the stay)
AVAIL = """
SELECT i.room_type_id, min(i.capacity - i.sold) FROM type_inventory i
JOIN room_types t ON t.id = i.room_type_id JOIN properties p ON p.id = t.property_id
WHERE p.slug = 'big' AND i.night >= %(arrival)s AND i.night < %(departure)s
GROUP BY i.room_type_id
"""


def prepare(dsn: str, rooms: dict[str, int]) -> None:
    """Create the reference schema with ``rooms`` (type -> count)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
        for room_type, count in rooms.items():
            conn.execute("INSERT INTO ref.rooms (room_type) SELECT %s FROM generate_series(1, %s)",
                         (room_type, count))
        conn.execute("VACUUM ANALYZE ref.rooms")


pool = AsyncConnectionPool(os.environ.get("POSADA_REF_DSN", ""), min_size=20, max_size=20, open=False)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    await pool.open(wait=True)
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


class BookingIn(BaseModel):
    room_type: str
    arrival: date
    departure: date
    guest_name: str


@app.post("/book", status_code=201)
async def book(body: BookingIn) -> Any:
    params = {"type": body.room_type, "arrival": body.arrival, "departure": body.departure}
    for _attempt in range(3):
        async with pool.connection() as conn:
            try:
                async with conn.transaction():
                    rooms = await (await conn.execute(FREE, params)).fetchall()
                    if not rooms:
                        return JSONResponse({"detail": "sold out"}, status_code=409)
                    for (room,) in rooms:
                        row = await (await conn.execute(INSERT, {**params, "room": room,
                                                                 "guest": body.guest_name})).fetchone()
                        if row is not None:
                            return {"id": row[0], "room": room, "arrival": body.arrival.isoformat(),
                                    "departure": body.departure.isoformat()}
            except errors.DeadlockDetected:
                continue
    return JSONResponse({"detail": "taken meanwhile"}, status_code=409)


@app.get("/me")
async def me(authorization: str = Header()) -> Any:
    token = authorization.partition(" ")[2].strip()
    async with pool.connection() as conn:
        row = await (await conn.execute(ME, (hashlib.sha256(token.encode()).hexdigest(),))).fetchone()
    if row is None:
        raise HTTPException(401)
    return dict(zip(("user_id", "username", "display_name", "role", "chain", "site"), row, strict=True))


@app.get("/avail")
async def avail(arrival: date, departure: date, adults: int = 1) -> Any:
    async with pool.connection() as conn:
        rows = await (await conn.execute(AVAIL, {"arrival": arrival, "departure": departure})).fetchall()
    return [{"room_type": type_id, "rooms_left": left, "adults": adults} for type_id, left in rows]


@app.get("/health")
async def health() -> Any:
    async with pool.connection() as conn:
        await conn.execute("SELECT 1")
    return {"status": "ok"}
