"""Outbound HTTP: one way to make the client every provider adapter uses (payments, messages)."""

from __future__ import annotations

import functools
import ssl

import httpx

USER_AGENT = "posada/0.1"


@functools.cache
def _tls() -> ssl.SSLContext:
    """The trust store, loaded once per process (loading it is most of a new client's cost)."""
    return httpx.create_ssl_context()


def outbound_client(*, timeout_s: float) -> httpx.Client:
    """A pooled client with a bounded timeout; providers add their own auth headers per call."""
    return httpx.Client(timeout=timeout_s, headers={"User-Agent": USER_AGENT}, follow_redirects=False,
                        verify=_tls())
