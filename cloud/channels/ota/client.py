"""The OTA channel adapter: ARI updates POSTed as OTA XML; the RS read back strictly.

HTTP failures map onto ``DeliveryError`` (429 and 5xx retry, honouring Retry-After; other 4xx
and an RS with Errors are permanent: the same message would be refused again).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime

import httpx

from cloud.channels.credentials import Credentials
from cloud.channels.ota import ari_messages
from cloud.channels.ota.xml import XmlRefused, parse, serialize
from cloud.channels.port import AriUpdate
from cloud.core.delivery import DeliveryError, request

_echo = itertools.count(1)


class OtaChannel:
    """One channel's endpoint, with the credentials it gave us (POS requestor, Basic or bearer)."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        url: str,
        clock: Callable[[], datetime],
        credentials: Credentials | None = None,
    ):
        self.client, self.url, self.clock, self.credentials = client, url, clock, credentials

    def push(self, update: AriUpdate) -> None:
        root_name = ari_messages.ROOTS[update.kind]
        document = ari_messages.build(
            update, echo=f"ari-{next(_echo)}", now=self.clock(), credentials=self.credentials
        )
        headers = {"Content-Type": "application/xml"}
        if self.credentials is not None:
            headers.update(self.credentials.headers())
        body = serialize(document)
        answer = request(self.client, "POST", self.url, content=body, headers=headers)
        try:
            rs = parse(answer.content, expect=(root_name.replace("RQ", "RS"),))
        except XmlRefused as exc:
            raise DeliveryError(f"the channel's answer is not a valid RS: {exc}", permanent=False) from exc
        errors = ari_messages.errors_of(rs)
        if errors:
            raise DeliveryError("; ".join(errors)[:500], permanent=True)
