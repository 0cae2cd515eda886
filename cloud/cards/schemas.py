"""What the cards API takes and gives; a desk agent's result is validated as hostile input."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from mqtt.node_messages import TAG_UID

STATION = r"^[a-z0-9][a-z0-9-]{0,39}$"
# ISO 14443-A UIDs are 4, 7 or 10 bytes; the agent sends lowercase hex.
UID = TAG_UID
FailureReason = Literal[
    "no_tag", "write_failed", "verify_mismatch", "unsupported_tag", "reader_unavailable", "bad_card"
]
CardStatus = Literal["not_encoded", "encoding", "encoded", "failed", "revoked", "expired"]


class CardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    guest: int = Field(ge=1, le=255, description="guest number on the card: a companion's, or a copy's")
    station: str | None = Field(default=None, pattern=STATION, description="encode it at this desk station")


class EncodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    station: str = Field(pattern=STATION)


class JobOut(BaseModel):
    id: str
    station: str
    state: str
    created_at: datetime
    pickup_by: datetime
    result_by: datetime | None
    uid: str | None
    reason: str | None
    detail: str | None


class CardOut(BaseModel):
    id: str
    guest: int
    room: str
    sequence: int
    issued_at: datetime
    valid_until: datetime
    status: CardStatus
    encoded_uid: str | None
    encoded_at: datetime | None
    revoked_at: datetime | None
    job: JobOut | None = Field(description="the newest encode job of the card")


class StationOut(BaseModel):
    name: str
    last_seen_at: datetime
    online: bool


class AgentJob(BaseModel):
    """A claimed job as the desk agent gets it: the card bytes to write, and its deadline."""

    id: str
    credential_id: str
    card: str = Field(description="the signed card, base64url")
    room: str
    guest: int
    result_by: datetime


class ResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ok: StrictBool
    uid: str | None = Field(default=None, pattern=UID)
    reason: FailureReason | None = None
    detail: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _consistent(self) -> ResultIn:
        if self.ok and (self.uid is None or self.reason is not None):
            raise ValueError("a success carries the tag's uid and no reason")
        if not self.ok and (self.reason is None or self.uid is not None):
            raise ValueError("a failure carries a reason and no uid")
        if any(not ch.isprintable() for ch in self.detail):
            raise ValueError("detail must be printable text")
        return self
