"""Pure alert rules over the latest readings of each room and gateway.

``evaluate`` says which conditions hold now; ``plan`` compares them with the alerts already
open, so each alert opens once, is only seen again while it lasts, and closes when clear.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from mqtt.readings import GATEWAY_ROOM


class AlertKind(StrEnum):
    DOOR_AJAR = "door_ajar"
    TEMPERATURE = "temperature_out_of_range"
    HUMIDITY = "humidity_out_of_range"
    LOCK_BATTERY = "lock_battery_low"
    NODE_SILENT = "door_node_silent"
    GATEWAY_OFFLINE = "gateway_offline"
    OUTBOX_GROWING = "outbox_growing"


@dataclass(frozen=True, slots=True)
class Thresholds:
    temperature_min_c: float = 16.0
    temperature_max_c: float = 28.0
    humidity_min_pct: float = 25.0
    humidity_max_pct: float = 65.0
    lock_battery_min_v: float = 2.5  # two AA cells in series: about 3.0 V full, 2.4 V empty
    door_ajar_s: float = 180.0
    node_silent_s: float = 900.0
    gateway_offline_s: float = 900.0
    outbox_depth: int = 100
    outbox_growing_s: float = 600.0


@dataclass(frozen=True, slots=True)
class Observed:
    value: Any
    at: datetime
    since: datetime
    rising: datetime | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the cloud last heard from one room (or from the gateway, room ``gateway``)."""

    site: str
    floor: str
    room: str
    readings: Mapping[str, Observed] = field(default_factory=dict)

    @property
    def last_heard(self) -> datetime | None:
        return max((o.at for o in self.readings.values()), default=None)


@dataclass(frozen=True, slots=True, order=True)
class AlertKey:
    kind: AlertKind
    site: str
    floor: str
    subject: str  # a room slug, or ``gateway``


@dataclass(frozen=True, slots=True)
class Finding:
    key: AlertKey
    detail: str


READS: dict[AlertKind, str] = {
    AlertKind.DOOR_AJAR: "door_open",
    AlertKind.TEMPERATURE: "temperature_c",
    AlertKind.HUMIDITY: "humidity_pct",
    AlertKind.LOCK_BATTERY: "lock_battery_v",
    AlertKind.OUTBOX_GROWING: "outbox_depth",
}
"""The catalog reading (``mqtt.readings``) each threshold rule reads, in the catalog's unit."""

Rule = Callable[["Snapshot", "Thresholds", datetime], "str | None"]


def _age(now: datetime, at: datetime) -> float:
    return (now - at).total_seconds()


def _door_ajar(s: Snapshot, t: Thresholds, now: datetime) -> str | None:
    door = s.readings.get(READS[AlertKind.DOOR_AJAR])
    if door is not None and door.value is True and _age(now, door.since) >= t.door_ajar_s:
        return f"door open for {int(_age(now, door.since))} s"
    return None


def _range(key: str, low_attr: str, high_attr: str) -> Rule:
    def rule(s: Snapshot, t: Thresholds, now: datetime) -> str | None:
        obs = s.readings.get(key)
        if obs is None or _age(now, obs.at) > t.node_silent_s:
            return None  # stale values say nothing; the silent-node rule covers that
        low, high = getattr(t, low_attr), getattr(t, high_attr)
        if not low <= obs.value <= high:
            return f"{key} {obs.value} outside {low}..{high}"
        return None

    return rule


def _battery(s: Snapshot, t: Thresholds, now: datetime) -> str | None:
    obs = s.readings.get(READS[AlertKind.LOCK_BATTERY])
    if obs is not None and obs.value < t.lock_battery_min_v:
        return f"lock battery {obs.value:.2f} V below {t.lock_battery_min_v:.2f} V"
    return None


def _silent(s: Snapshot, t: Thresholds, now: datetime) -> str | None:
    last = s.last_heard
    limit = t.gateway_offline_s if s.room == GATEWAY_ROOM else t.node_silent_s
    if last is not None and _age(now, last) >= limit:
        return f"nothing heard for {int(_age(now, last))} s"
    return None


def _outbox(s: Snapshot, t: Thresholds, now: datetime) -> str | None:
    obs = s.readings.get(READS[AlertKind.OUTBOX_GROWING])
    if obs is None or obs.value < t.outbox_depth or obs.rising is None:
        return None
    if _age(now, obs.rising) >= t.outbox_growing_s:
        return f"outbox at {obs.value} and rising for {int(_age(now, obs.rising))} s"
    return None


ROOM_RULES: tuple[tuple[AlertKind, Rule], ...] = (
    (AlertKind.DOOR_AJAR, _door_ajar),
    (AlertKind.TEMPERATURE, _range(READS[AlertKind.TEMPERATURE], "temperature_min_c", "temperature_max_c")),
    (AlertKind.HUMIDITY, _range(READS[AlertKind.HUMIDITY], "humidity_min_pct", "humidity_max_pct")),
    (AlertKind.LOCK_BATTERY, _battery),
    (AlertKind.NODE_SILENT, _silent),
)
GATEWAY_RULES: tuple[tuple[AlertKind, Rule], ...] = (
    (AlertKind.GATEWAY_OFFLINE, _silent),
    (AlertKind.OUTBOX_GROWING, _outbox),
)


def evaluate(snapshots: Iterable[Snapshot], *, thresholds: Thresholds,
             now: datetime) -> dict[AlertKey, Finding]:
    """Every condition that holds at ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    findings: dict[AlertKey, Finding] = {}
    snapshots = list(snapshots)
    for snap in snapshots:
        rules = GATEWAY_RULES if snap.room == GATEWAY_ROOM else ROOM_RULES
        for kind, rule in rules:
            detail = rule(snap, thresholds, now)
            if detail is not None:
                key = AlertKey(kind, snap.site, snap.floor, snap.room)
                findings[key] = Finding(key, detail)
    return _without_consequences(findings)


def _without_consequences(findings: dict[AlertKey, Finding]) -> dict[AlertKey, Finding]:
    """A gateway that is offline silences every node of its floor: one alert, not a storm."""
    offline = {(k.site, k.floor) for k in findings if k.kind is AlertKind.GATEWAY_OFFLINE}
    return {k: f for k, f in findings.items()
            if not (k.kind is AlertKind.NODE_SILENT and (k.site, k.floor) in offline)}


@dataclass(frozen=True, slots=True)
class Plan:
    to_open: list[Finding]
    still_open: list[Finding]
    to_close: list[AlertKey]


def plan(open_keys: Iterable[AlertKey], findings: Mapping[AlertKey, Finding]) -> Plan:
    """What to open, what is seen again, what to close."""
    already = set(open_keys)
    return Plan(
        to_open=[f for k, f in sorted(findings.items()) if k not in already],
        still_open=[f for k, f in sorted(findings.items()) if k in already],
        to_close=sorted(already - set(findings)),
    )


def utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes for aware columns; they were stored in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
