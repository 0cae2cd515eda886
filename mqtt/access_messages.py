"""Commands for the gateway's keycard keys (``key.upsert``, ``key.retire``, ``key.delegate``),
registered into the contract at import. Credential upsert/revoke live in ``mqtt.messages``."""

from __future__ import annotations

from pydantic import Field

from mqtt.messages import Data, Instant, register_command

B64URL = r"^[A-Za-z0-9_-]+={0,2}$"


class KeyUpsert(Data):
    """A public key gateways accept card signatures from (raw Ed25519, base64url)."""

    key_id: int = Field(ge=0, le=0xFFFF)
    public_key: str = Field(min_length=43, max_length=44, pattern=B64URL)
    retired_at: Instant | None = None


class KeyDelegate(Data):
    """A sub-key the property key vouches for: gateways accept cards it signs within
    [valid_from, valid_until) (see mqtt/delegation.py for the signed bytes)."""

    key_id: int = Field(ge=0xF000, le=0xFFFF)
    parent_key_id: int = Field(ge=0, lt=0xF000)
    site: int = Field(ge=0, le=0xFFFF)
    holder: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    public_key: str = Field(min_length=43, max_length=44, pattern=B64URL)
    valid_from: Instant
    valid_until: Instant
    signature: str = Field(min_length=86, max_length=88, pattern=B64URL)


class KeyRetire(Data):
    """From ``at`` on, cards signed with this key are refused."""

    key_id: int = Field(ge=0, le=0xFFFF)
    at: Instant


register_command("key.upsert", KeyUpsert)
register_command("key.retire", KeyRetire)
register_command("key.delegate", KeyDelegate)
