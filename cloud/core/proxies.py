"""The real client address behind a reverse proxy: ``X-Forwarded-For`` is believed only when the
connection comes from a proxy the settings trust, and then only up to the first address that
is not itself a trusted proxy (read from the right: everything left of it the client could
have written). Every per-client count (the guest pages' rate limits, the sign-in throttle, the
audit trail) reads the address this leaves in the request's scope."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """The trusted proxies as networks (an address is a network of one); a bad entry raises ValueError."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _trusted(host: str, trusted: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in trusted)


def client_behind(peer: str, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """The client address: the peer's own, unless the peer is a trusted proxy that says otherwise."""
    if not forwarded_for or not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops[-32:]):
        if not _trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a proxy that forwards garbage: count the proxy, not the garbage
    return hops[0] if hops else peer  # every hop a trusted proxy: the first is the client


class TrustedProxies:
    """Middleware: puts the real client address in ``scope["client"]``."""

    def __init__(self, app: ASGIApp, *, trusted: tuple[Network, ...]) -> None:
        self.app, self.trusted = app, trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted and scope.get("client"):
            header = None
            for name, value in scope.get("headers", ()):
                if name == b"x-forwarded-for":
                    hop = value.decode("latin-1")
                    header = hop if header is None else f"{header},{hop}"
            peer, port = scope["client"]
            client = client_behind(peer, header, self.trusted)
            if client != peer:
                scope = {**scope, "client": (client, port)}
        await self.app(scope, receive, send)
