"""FastAPI dependencies shared by every router."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from cloud.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _runtime(request: Request) -> Runtime:
    """As a dependency: no I/O, so not worth a hop to the thread pool."""
    return get_runtime(request)


def get_session(request: Request) -> Iterator[Session]:
    with get_runtime(request).sessions() as session:
        yield session


RuntimeDep = Annotated["Runtime", Depends(_runtime)]
SessionDep = Annotated[Session, Depends(get_session)]
