"""Topic grammar v1: ``posada/v1/{site}/{floor}/...``; slugs are ``[a-z0-9-]+``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

PREFIX = "posada/v1"
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62})")


class Kind(StrEnum):
    STATUS = "status"
    ROOM_STATE = "state"
    TELEMETRY = "telemetry"
    EVENTS = "events"
    CMD = "cmd"
    ACK = "ack"


class TopicError(ValueError):
    """A topic outside the grammar."""


def check_slug(value: str, what: str) -> str:
    if not isinstance(value, str) or not SLUG.fullmatch(value):
        raise TopicError(f"{what} {value!r} is not a slug ([a-z0-9-]+, at most 63 chars)")
    return value


@dataclass(frozen=True, slots=True)
class Topic:
    kind: Kind
    site: str
    floor: str
    room: str | None = None

    def __post_init__(self) -> None:
        check_slug(self.site, "site")
        check_slug(self.floor, "floor")
        room_kinds = (Kind.ROOM_STATE, Kind.TELEMETRY)
        if (self.kind in room_kinds) != (self.room is not None):
            raise TopicError(f"{self.kind} topics {'need' if self.kind in room_kinds else 'take no'} room")
        if self.room is not None:
            check_slug(self.room, "room")

    def __str__(self) -> str:
        base = f"{PREFIX}/{self.site}/{self.floor}"
        if self.room is not None:
            return f"{base}/rooms/{self.room}/{self.kind.value}"
        return f"{base}/{self.kind.value}"

    @property
    def floor_key(self) -> tuple[str, str]:
        return (self.site, self.floor)


def parse_topic(topic: str) -> Topic:
    """Parse a concrete topic; raises TopicError for anything outside the grammar."""
    parts = topic.split("/")
    if len(parts) < 5 or parts[0] != "posada" or parts[1] != "v1":
        raise TopicError(f"not a posada/v1 topic: {topic[:200]!r}")
    site, floor, rest = parts[2], parts[3], parts[4:]
    if len(rest) == 1:
        try:
            kind = Kind(rest[0])
        except ValueError:
            raise TopicError(f"unknown topic kind {rest[0][:50]!r}") from None
        if kind in (Kind.ROOM_STATE, Kind.TELEMETRY):
            raise TopicError(f"{kind} topics live under rooms/{{room}}/")
        return Topic(kind, site, floor)
    if len(rest) == 3 and rest[0] == "rooms" and rest[2] in (Kind.ROOM_STATE, Kind.TELEMETRY):
        return Topic(Kind(rest[2]), site, floor, rest[1])
    raise TopicError(f"not a topic of the grammar: {topic[:200]!r}")


def floor_filter(site: str = "+", floor: str = "+") -> str:
    return f"{PREFIX}/{site}/{floor}"


def subscriptions_for_cloud(share_group: str | None = None) -> list[str]:
    """Topic filters the cloud subscribes to (optionally as a shared subscription)."""
    filters = [
        f"{PREFIX}/+/+/status",
        f"{PREFIX}/+/+/events",
        f"{PREFIX}/+/+/ack",
        f"{PREFIX}/+/+/rooms/+/state",
        f"{PREFIX}/+/+/rooms/+/telemetry",
    ]
    if share_group:
        return [f"$share/{share_group}/{f}" for f in filters]
    return filters
