"""Per-client limits count the real client: behind a trusted proxy the address it forwards (and no
address a client wrote itself), and across HTTP workers one shared count."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import upgrade
from cloud.core.proxies import TrustedProxies, client_behind, networks
from cloud.guestweb.rate_store import DatabaseRateLimiter

PROXIES = networks(["10.0.0.0/8", "127.0.0.1"])


@pytest.mark.parametrize(("peer", "forwarded", "client"), [
    ("10.0.0.5", "203.0.113.7", "203.0.113.7"),                     # the proxy names the client
    ("10.0.0.5", "198.51.100.1, 203.0.113.7", "203.0.113.7"),       # a client-written hop is ignored
    ("10.0.0.5", "203.0.113.7, 10.0.0.9", "203.0.113.7"),           # through two proxies of ours
    ("203.0.113.7", "198.51.100.1", "203.0.113.7"),                 # no proxy: the header is the client's
    ("10.0.0.5", "not-an-address", "10.0.0.5"),                     # garbage: counted as the proxy
    ("10.0.0.5", None, "10.0.0.5"),
    ("127.0.0.1", "2001:db8::1", "2001:db8::1"),
])
def test_the_client_is_the_first_untrusted_hop_from_the_right(peer: str, forwarded: str | None,
                                                              client: str) -> None:
    assert client_behind(peer, forwarded, PROXIES) == client


def test_the_middleware_puts_the_real_client_in_the_request() -> None:
    async def who(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.client.host if request.client else "")

    app = TrustedProxies(Starlette(routes=[Route("/", who)]), trusted=PROXIES)
    behind = TestClient(app, client=("10.1.2.3", 4000))
    assert behind.get("/", headers={"X-Forwarded-For": "203.0.113.7"}).text == "203.0.113.7"
    direct = TestClient(app, client=("198.51.100.9", 4000))
    assert direct.get("/", headers={"X-Forwarded-For": "203.0.113.7"}).text == "198.51.100.9"
    with pytest.raises(ValueError):
        networks(["not a network"])


def test_workers_share_one_allowance_per_client(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        sessions: sessionmaker[Session] = make_sessionmaker(engine)
        clock = [1_000_000.0]
        first, second = (DatabaseRateLimiter(sessions, wall=lambda: clock[0]) for _ in range(2))
        asks = [(first if n % 2 else second).allow("203.0.113.7", "book", per_window=4, window_s=3600, now=0)
                for n in range(6)]
        assert asks == [True] * 4 + [False] * 2  # two workers, one allowance
        assert first.allow("198.51.100.1", "book", per_window=4, window_s=3600, now=0)  # others unaffected
        clock[0] += 3600
        assert second.allow("203.0.113.7", "book", per_window=4, window_s=3600, now=0)  # a new window
    finally:
        engine.dispose()


def test_a_trusted_proxy_that_is_no_address_is_refused_with_the_settings() -> None:
    from pydantic import ValidationError

    from cloud.settings import Settings

    with pytest.raises(ValidationError, match="nope"):
        Settings(http_trusted_proxies=["10.0.0.0/8", "nope"])
