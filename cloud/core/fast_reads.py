"""One-value reads from the event loop, for checks that run on every request.

On PostgreSQL an async psycopg pool answers without a hop to the thread pool (the hop costs
more than the read); it opens with the app's lifespan and serves only while it is open (a
test client that never starts the lifespan gets the engine on a worker thread instead, as
every other database gets).
"""

from __future__ import annotations

from typing import Any

from psycopg_pool import AsyncConnectionPool
from sqlalchemy import TextClause, text
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

POOL_SIZE = 6  # short reads: a few connections keep up with the whole process


class FastReads:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._pool: AsyncConnectionPool[Any] | None = None
        self._compiled: dict[TextClause, str] = {}  # each statement in psycopg's parameter style

    async def open(self) -> None:
        """From the lifespan, on the loop that serves the requests."""
        if self.engine.dialect.name != "postgresql" or self._pool is not None:
            return
        conninfo = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            conninfo, min_size=1, max_size=POOL_SIZE, kwargs={"autocommit": True}, open=False)
        await pool.open(wait=True, timeout=30)
        self._pool = pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def scalar(self, sql: str) -> Any:
        """The first column of the first row of ``sql`` (a fixed text: no parameters)."""
        if self._pool is None:
            return await run_in_threadpool(self._scalar_sync, sql)
        async with self._pool.connection() as conn:
            row = await (await conn.execute(sql)).fetchone()
        return None if row is None else row[0]

    def _scalar_sync(self, sql: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql)).scalar()

    async def rows(self, statement: TextClause, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Every row of ``statement`` (a ``text`` with typed bound parameters)."""
        if self._pool is None:
            return await run_in_threadpool(self._rows_sync, statement, params)
        sql = self._compiled.get(statement)
        if sql is None:
            sql = self._compiled[statement] = str(statement.compile(dialect=self.engine.dialect))
        async with self._pool.connection() as conn:
            found: list[tuple[Any, ...]] = await (await conn.execute(sql, params)).fetchall()
        return found

    def _rows_sync(self, statement: TextClause, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(statement, params)]
