"""Message data models of contract v1, keyed by envelope ``type``.

Each model validates the envelope's ``data``. Absent fields take meaningful defaults and
unknown keys are ignored, so either side can add fields without breaking the other.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, Strict

from mqtt.topics import Kind

Slug = str
ShortText = str


# Instants and days arrive as JSON text (RFC 3339): parsed from it, while every other field of a
# message must already have its JSON type.
Instant = Annotated[AwareDatetime, Strict(False)]
Day = Annotated[date, Strict(False)]


class Data(BaseModel):
    """Strict: a number, a flag or a list sent as text (``"seconds": "5"``) is refused, not
    coerced; hostile input meets no guessing. Unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


# --- status (retained, also the last will) -------------------------------------------------


class GatewayStatus(Data):
    state: Literal["online", "offline"]
    version: str = Field(default="", max_length=64)
    time: Instant | None = None
    clock_offset_s: float | None = None
    rooms: int | None = Field(default=None, ge=0)


# --- room state (retained) -----------------------------------------------------------------


class LastAccess(Data):
    at: Instant
    granted: bool
    credential_id: str | None = Field(default=None, max_length=64)
    reason: str = Field(default="", max_length=64)


class RoomState(Data):
    room: Slug = Field(pattern=r"^[a-z0-9-]{1,63}$")
    occupied: bool = False
    guest_present: bool = False
    door: Literal["open", "closed", "unknown"] = "unknown"
    lock: Literal["locked", "unlocked", "unknown"] = "unknown"
    dnd: bool = False
    housekeeping: Literal["clean", "dirty", "inspected", "in_progress", "out_of_order"] = "clean"
    last_access: LastAccess | None = None
    updated_at: Instant | None = None


# --- telemetry (QoS 0) ---------------------------------------------------------------------

Reading = float | int | bool


class Telemetry(Data):
    room: Slug = Field(pattern=r"^[a-z0-9-]{1,63}$")
    readings: dict[str, Reading] = Field(default_factory=dict, max_length=64)
    samples: list[TelemetrySample] = Field(default_factory=list, max_length=1000)


class TelemetrySample(Data):
    """One reading at its own time, for batched or downsampled telemetry sent late."""

    at: Instant
    readings: dict[str, Reading] = Field(max_length=64)


# --- events (QoS 1, outbox) ----------------------------------------------------------------


class RoomEvent(Data):
    """Base of events about a room or a door of the floor."""

    room: Slug | None = Field(default=None, pattern=r"^[a-z0-9-]{1,63}$")
    door: str | None = Field(default=None, max_length=63)


class AccessDecision(RoomEvent):
    granted: bool
    reason: str = Field(max_length=64)
    credential_id: str | None = Field(default=None, max_length=64)
    kind: str | None = Field(default=None, max_length=32)
    floors: list[int] | None = Field(default=None, max_length=64)  # an in-lift panel: floors enabled


class DoorEvent(RoomEvent):
    seconds_open: float | None = Field(default=None, ge=0)


class RoomVacated(RoomEvent):
    reason: str = Field(default="checkout", max_length=64)


class Tamper(RoomEvent):
    detail: str = Field(default="", max_length=256)


class NodeOffline(RoomEvent):
    node: int | None = Field(default=None, ge=0, le=255)


NodeFaultKind = Literal["reader_silent", "reader_back", "card_torn", "two_cards", "reader_garbage",
                        "card_unreadable", "lock_no_feedback"]


class NodeFault(RoomEvent):
    """What went wrong at a door (reader, card, lock); never a reason it opened."""

    node: int | None = Field(default=None, ge=0, le=255)
    fault: NodeFaultKind


class RoomSetback(RoomEvent):
    """The room was set back (nobody in) or restored; the energy saved so far is an estimate."""

    setback: bool
    setpoint_c: float | None = Field(default=None, ge=-50, le=60)
    saved_kwh: float = Field(default=0.0, ge=0)


class StaffPunch(RoomEvent):
    """A tap at a staff time clock (``door``): a punch when accepted, else the card's refusal."""

    accepted: bool
    reason: str = Field(max_length=64)
    credential_id: str | None = Field(default=None, max_length=64)
    kind: str | None = Field(default=None, max_length=32)


class Occupancy(RoomEvent):
    occupied: bool
    guest_present: bool = False


EVENT_MODELS: dict[str, type[Data]] = {
    "access.granted": AccessDecision,
    "access.denied": AccessDecision,
    "door.opened": DoorEvent,
    "door.closed": DoorEvent,
    "door.ajar": DoorEvent,
    "door.forced": DoorEvent,
    "room.occupancy": Occupancy,
    "room.vacated": RoomVacated,
    "staff.punch": StaffPunch,
    "tamper": Tamper,
    "node.offline": NodeOffline,
    "node.fault": NodeFault,
    "room.setback": RoomSetback,
}

# --- commands (cloud -> edge) and their acks -----------------------------------------------


class EventsStored(Data):
    """The cloud has durably stored these events; the gateway may forget them."""

    ids: list[str] = Field(default_factory=list, max_length=10_000)
    up_to_seq: int | None = Field(default=None, ge=0)


class CredentialUpsert(Data):
    credential_id: str = Field(max_length=64)
    card: str = Field(default="", max_length=512, description="base64url card bytes")
    rooms: list[Slug] = Field(default_factory=list, max_length=64)
    valid_until: Instant | None = None


class CredentialRevoke(Data):
    credential_id: str = Field(max_length=64)
    until: Instant | None = None


class RoomSettings(Data):
    room: Slug = Field(pattern=r"^[a-z0-9-]{1,63}$")
    checkout_at: Instant | None = None
    housekeeping: Literal["clean", "dirty", "inspected", "in_progress", "out_of_order"] | None = None
    occupied: bool | None = None


class RemoteUnlock(Data):
    room: Slug = Field(pattern=r"^[a-z0-9-]{1,63}$")
    door: str | None = Field(default=None, max_length=63)
    seconds: int = Field(default=5, ge=1, le=60)
    reason: str = Field(default="", max_length=256)


class CommandAck(Data):
    command_id: str = Field(max_length=64)
    ok: bool = True
    error: str = Field(default="", max_length=512)


COMMAND_MODELS: dict[str, type[Data]] = {
    "events.stored": EventsStored,
    "credential.upsert": CredentialUpsert,
    "credential.revoke": CredentialRevoke,
    "room.settings": RoomSettings,
    "door.unlock": RemoteUnlock,
}

MODELS_BY_KIND: dict[Kind, dict[str, type[Data]]] = {
    Kind.STATUS: {"gateway.status": GatewayStatus},
    Kind.ROOM_STATE: {"room.state": RoomState},
    Kind.TELEMETRY: {"room.telemetry": Telemetry},
    Kind.EVENTS: EVENT_MODELS,
    Kind.CMD: COMMAND_MODELS,
    Kind.ACK: {"cmd.ack": CommandAck},
}


def register_event(type_: str, model: type[Data]) -> None:
    """Add an event type to the contract (used by feature packages at import time)."""
    EVENT_MODELS[type_] = model


def register_command(type_: str, model: type[Data]) -> None:
    COMMAND_MODELS[type_] = model


Telemetry.model_rebuild()
