"""Request dependencies every area shares: the app's services, database sessions, the clock.

Three ways to the database, each for its kind of route:

- ``SessionDep``: the request's session, shared by every dependency of the request;
- ``DbSession``: the same session, committed when the handler returns (rolled back on error);
- ``SessionsDep``: the session factory, for routes that run their own transactions.

Dependencies that only read the services are ``async``: FastAPI runs a plain ``def``
dependency on the thread pool, a hop that costs more than what it reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session, sessionmaker

from cloud.core.clock import Clock

if TYPE_CHECKING:
    from cloud.services import Services


def services(request: Request) -> Services:
    """The services the app factory attached to the app (``cloud.app.create_app``)."""
    found: Services = request.app.services
    return found


def request_time(request: Request) -> datetime:
    """The app's clock, read once for this request."""
    return services(request).clock()


async def get_services(request: Request) -> Services:
    return services(request)


async def get_sessions(request: Request) -> sessionmaker[Session]:
    return services(request).sessions


async def get_clock(request: Request) -> Clock:
    return services(request).clock


def get_session(request: Request) -> Iterator[Session]:
    with services(request).sessions() as session:
        yield session


def _committed(session: Annotated[Session, Depends(get_session)]) -> Iterator[Session]:
    """The request's one session, committed when the handler returns.

    Sharing matters on SQLite, where every transaction takes the write lock: two sessions in
    one request would wait on each other.
    """
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


ServicesDep = Annotated["Services", Depends(get_services)]
SessionDep = Annotated[Session, Depends(get_session)]
# Function scope: the commit happens before the response is sent, so a redirect that follows
# (after a sign-in, a registration) never reads ahead of the write.
DbSession = Annotated[Session, Depends(_committed, scope="function")]
SessionsDep = Annotated[sessionmaker[Session], Depends(get_sessions)]
ClockDep = Annotated[Clock, Depends(get_clock)]
# A creating request may carry one; retries with the same key get the first answer
# (``cloud.core.idempotency``).
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="retrying with the same key returns the first answer",
    ),
]
