"""FastAPI builds each app's routes on its first request; in tests, their dependants are built once.

FastAPI 0.165 reads every endpoint's signature again for each app that includes its router
(``get_dependant``: parameters, pydantic fields and their TypeAdapters), 0.2-0.35 s per app on a
quiet machine, and the unit tests make hundreds of apps. What it builds depends only on the path,
the endpoint and the scope, so a test process keeps one per key and hands each app its own copy of
the top level (the app then puts its router's dependencies in front, in that copy's list). The
pydantic fields below are shared: FastAPI only reads them. Only the test processes install it; the
product builds one app per process and gains nothing from it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from fastapi import routing
from fastapi.dependencies.models import Dependant

_original: Callable[..., Dependant] = routing.get_dependant
_built: dict[tuple[str, Callable[..., Any], str | None], Dependant] = {}


def _get_dependant(*, path: str, call: Callable[..., Any], scope: str | None = None,
                   **more: Any) -> Dependant:
    if more:  # not how routing calls it today: build it as FastAPI would
        return _original(path=path, call=call, scope=scope, **more)
    key = (path, call, scope)  # the endpoint itself (not its id) keeps the key from being reused
    try:
        cached = _built.get(key)
    except TypeError:  # an endpoint that cannot be hashed
        return _original(path=path, call=call, scope=scope)
    if cached is None:
        cached = _built[key] = _original(path=path, call=call, scope=scope)
    return dataclasses.replace(cached, dependencies=list(cached.dependencies))


def install() -> None:
    """Route building in this process shares dependants between apps (idempotent)."""
    routing.get_dependant = _get_dependant  # type: ignore[assignment]
