"""Commands for the gateway's keycard keys (``key.upsert``, ``key.retire``), registered into
the contract at import. Credential upsert/revoke live in ``mqtt.messages``."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from mqtt.messages import Data, register_command

B64URL = r"^[A-Za-z0-9_-]+={0,2}$"


class KeyUpsert(Data):
    """A public key gateways accept card signatures from (raw Ed25519, base64url)."""

    key_id: int = Field(ge=0, le=0xFFFF)
    public_key: str = Field(min_length=43, max_length=44, pattern=B64URL)
    retired_at: AwareDatetime | None = None


class KeyRetire(Data):
    """From ``at`` on, cards signed with this key are refused."""

    key_id: int = Field(ge=0, le=0xFFFF)
    at: AwareDatetime


register_command("key.upsert", KeyUpsert)
register_command("key.retire", KeyRetire)
