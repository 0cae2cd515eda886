"""The envelope every payload carries: v, id, type, ts, source, data (and seq for events)."""

from __future__ import annotations

from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from ulid import ULID

SCHEMA_VERSION = 1
# A str as a JSON string: the function (C) ``json.dumps(..., ensure_ascii=False)`` writes strings
# with, so a payload spliced from text serialised earlier has the bytes ``json.dumps`` would give.
json_str = encode_basestring
MAX_PAYLOAD_BYTES = 64 * 1024


def new_id() -> str:
    """A unique id that sorts by creation time (ULID, 26 chars)."""
    return str(ULID())


def utcnow() -> datetime:
    return datetime.now(UTC)


def rfc3339(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Envelope(BaseModel):
    """Common wrapper. Unknown keys are ignored so newer senders stay readable."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    v: int = SCHEMA_VERSION
    id: str = Field(default_factory=new_id, min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")
    type: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_.-]*$")
    ts: AwareDatetime = Field(default_factory=utcnow)
    source: str = Field(min_length=1, max_length=128)
    seq: int | None = Field(default=None, ge=0, description="per-gateway event sequence")
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("ts")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    def to_json(self) -> bytes:
        body = self.model_dump(mode="json", exclude_none=True)
        body["ts"] = rfc3339(self.ts)
        import json

        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
