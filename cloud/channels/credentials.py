"""What we present to a channel when we call it (pure): the OTA requestor (``POS/Source/
RequestorID`` with ``ID`` and ``MessagePassword``), and/or HTTP Basic or a bearer token.

Kept sealed in ``channels.credentials_enc`` (it must be sent, so it cannot be hashed); the API and
the page only ever show which parts are set, and no log line carries a value.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

FIELDS = ("requestor_id", "requestor_type", "message_password", "username", "password", "token")


@dataclass(frozen=True)
class Credentials:
    requestor_id: str | None = None
    requestor_type: str | None = None  # OpenTravel UIT code of the requestor, when the channel asks
    message_password: str | None = None
    username: str | None = None  # HTTP Basic
    password: str | None = None
    token: str | None = None  # Authorization: Bearer

    def __repr__(self) -> str:  # never a secret in a traceback or a log line
        return f"Credentials({', '.join(self.described())})"

    @classmethod
    def from_stored(cls, stored: dict[str, Any] | None) -> Credentials | None:
        if not stored:
            return None
        return cls(**{k: stored.get(k) for k in FIELDS})

    def stored(self) -> dict[str, str]:
        return {k: v for k in FIELDS if (v := getattr(self, k))}

    def headers(self) -> dict[str, str]:
        """The HTTP authorization header, if any (a bearer token wins over Basic)."""
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.username is not None and self.password is not None:
            pair = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            return {"Authorization": f"Basic {pair}"}
        return {}

    def parts(self) -> list[tuple[str, str | None]]:
        """What is set, as (part, the value shown or None) for the page to word in its language:
        ``requestor`` (its id), ``message_password``, ``basic`` (the user name), ``bearer``."""
        shown = (
            ("requestor", self.requestor_id, self.requestor_id),
            ("message_password", self.message_password, None),
            ("basic", self.username, self.username),
            ("bearer", self.token, None),
        )
        return [(part, value) for part, is_set, value in shown if is_set]

    def described(self) -> list[str]:
        """What is set, without the secrets: the requestor id is shown, passwords only named."""
        out = [f"requestor {self.requestor_id}"] if self.requestor_id else []
        if self.message_password:
            out.append("message password")
        if self.username:
            out.append(f"basic {self.username}")
        if self.token:
            out.append("bearer token")
        return out
