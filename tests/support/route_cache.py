"""FastAPI builds each app's routes on its first request; in tests, the parts it builds are built once.

FastAPI 0.165 reads every endpoint's signature again for each app that includes its router
(``get_dependant``: parameters, pydantic fields and their TypeAdapters), 0.2-0.35 s per app on a
quiet machine, and the unit tests make hundreds of apps. What it builds depends only on the path,
the endpoint and the scope, so a test process keeps one per key and hands each app its own copy of
the top level (the app then puts its router's dependencies in front, in that copy's list). The
pydantic fields below are shared: FastAPI only reads them. So are a route's response field (made
from its unique id, its response type and the mode alone) and its combined body field (made from
the body parameters, which the shared dependants hand out unchanged): each costs a TypeAdapter,
about half of what an app still built on its first request. Only the test processes install it; the
product builds one app per process and gains nothing from it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from fastapi import routing
from fastapi.dependencies.models import Dependant

_original: Callable[..., Dependant] = routing.get_dependant
_original_field: Callable[..., Any] = routing.create_model_field
_original_body: Callable[..., Any] = routing._get_body_field
_built: dict[tuple[str, Callable[..., Any], str | None], Dependant] = {}
_fields: dict[tuple[str, Any, str], Any] = {}
# Keyed by the parameters' ids; the value keeps the parameters alive, so no id is reused meanwhile.
_bodies: dict[tuple[str, bool, tuple[int, ...]], tuple[list[Any], Any]] = {}


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


def _create_model_field(*, name: str, type_: Any, mode: str = "validation", **more: Any) -> Any:
    if more:  # a field with its own default or field info: built as FastAPI would
        return _original_field(name=name, type_=type_, mode=mode, **more)
    key = (name, type_, mode)
    try:
        cached = _fields.get(key)
    except TypeError:  # a type that cannot be hashed
        return _original_field(name=name, type_=type_, mode=mode)
    if cached is None:
        cached = _fields[key] = _original_field(name=name, type_=type_, mode=mode)
    return cached


def _get_body_field(*, body_params: list[Any], name: str, embed_body_fields: bool) -> Any:
    key = (name, embed_body_fields, tuple(id(param) for param in body_params))
    cached = _bodies.get(key)
    if cached is None:
        field = _original_body(body_params=body_params, name=name, embed_body_fields=embed_body_fields)
        cached = _bodies[key] = (list(body_params), field)
    return cached[1]


def install() -> None:
    """Route building in this process shares dependants and fields between apps (idempotent)."""
    routing.get_dependant = _get_dependant  # type: ignore[assignment]
    routing.create_model_field = _create_model_field  # type: ignore[assignment]
    routing._get_body_field = _get_body_field  # type: ignore[assignment]
