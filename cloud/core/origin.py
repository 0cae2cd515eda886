"""Where a request comes from and who makes it, for the audit trail and the sign-in throttle.

``RequestOrigin`` (middleware) opens an :class:`Origin` with the client's address for each HTTP
request; the auth dependency fills in the principal once it is known. Work done on a worker
thread sees the same object (context variables are copied into the thread; the object is shared).
Work outside a request (the stay clock, ingest) has no origin and is recorded as the system's.
"""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass(slots=True)
class Origin:
    address: str | None
    actor_id: str | None = None
    actor: str | None = None
    role: str | None = None
    site: str | None = None


_current: ContextVar[Origin | None] = ContextVar("posada_origin", default=None)


def current_origin() -> Origin | None:
    return _current.get()


@lru_cache(maxsize=4096)  # pure; parsed once per client, not once per request
def address_key(host: str | None) -> str | None:
    """The address a client is counted by: an IPv4 address, or the /64 network of an IPv6 one
    (one machine holds a whole /64). Anything unparsable is kept as text, cut to 64."""
    if not host:
        return None
    try:
        parsed = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def client_address(request: Any) -> str | None:
    """The request's client address as counted (``address_key``)."""
    client = getattr(request, "client", None)
    return address_key(client.host if client else None)


class RequestOrigin:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        token = _current.set(Origin(address=address_key(client[0] if client else None)))
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)
