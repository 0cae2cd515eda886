"""Fetching a channel's feed over HTTP with a size limit (a larger feed is refused, not truncated)."""

from __future__ import annotations

import httpx

from cloud.channels.ical.feed import FeedError
from cloud.core.delivery import DeliveryError


def fetch(client: httpx.Client, url: str, *, max_bytes: int) -> bytes:
    """The feed's bytes; FeedError when larger than ``max_bytes``, DeliveryError when unreachable."""
    try:
        with client.stream("GET", url, headers={"Accept": "text/calendar"}) as response:
            if response.status_code >= 400:
                raise DeliveryError(
                    f"HTTP {response.status_code} from the feed", permanent=400 <= response.status_code < 500
                )
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FeedError(f"the feed is {declared} bytes, over the limit of {max_bytes}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise FeedError(f"the feed is over the limit of {max_bytes} bytes")
            return bytes(body)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"feed unreachable: {exc}", permanent=False) from exc
