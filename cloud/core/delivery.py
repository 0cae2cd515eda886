"""The one error every outbound adapter raises, and the HTTP outcomes mapped onto it.

``DeliveryError.permanent`` is the only thing an outbox looks at: permanent means no retry
can help (a 4xx: bad recipient, bad token, refused content); otherwise it retries with backoff.
Message senders, payment providers and every later outbound channel raise it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx


class DeliveryError(Exception):
    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


def request(client: httpx.Client, method: str, url: str, *,
            classifier: Callable[[httpx.Response], DeliveryError] | None = None,
            **kwargs: Any) -> httpx.Response:
    """One HTTP call; transport failures are retryable, HTTP errors mapped by ``classify``."""
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"timeout: {exc}", permanent=False) from exc
    except httpx.TransportError as exc:
        raise DeliveryError(f"transport: {exc}", permanent=False) from exc
    if response.status_code >= 400:
        raise (classifier or classify)(response)
    return response


def classify(response: httpx.Response) -> DeliveryError:
    """5xx and 429 retry (honouring Retry-After); any other 4xx is permanent."""
    status = response.status_code
    detail = f"HTTP {status}: {response.text[:300]}"
    if status == 429 or status >= 500 or status == 408:
        return DeliveryError(detail, permanent=False, retry_after=_retry_after(response))
    return DeliveryError(detail, permanent=True)


def _retry_after(response: httpx.Response) -> float | None:
    header = response.headers.get("retry-after")
    if header and header.strip().isdigit():
        return float(header.strip())
    try:
        body = response.json()
    except ValueError:
        return None
    params = body.get("parameters") if isinstance(body, dict) else None
    value = params.get("retry_after") if isinstance(params, dict) else None
    return float(value) if isinstance(value, int | float) and value >= 0 else None
