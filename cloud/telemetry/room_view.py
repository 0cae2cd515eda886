"""Read models of the maintenance pages: one room's readings, alerts and tasks; rooms in alarm.

Rooms, readings and alerts only: nothing here touches reservations or guests, so the pages
built on it show no personal data to maintenance staff.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.i18n.labels import N_
from cloud.telemetry.energy_view import RoomSaving, room_saving
from cloud.telemetry.models import Alert, MaintenanceTask, RoomTelemetryLatest
from cloud.telemetry.queries import AlertView, ReadingView, TaskView
from mqtt.readings import READINGS

ALERT_LABELS: dict[str, str] = {
    "door_ajar": N_("Door left open"), "temperature_out_of_range": N_("Temperature out of range"),
    "humidity_out_of_range": N_("Humidity out of range"), "lock_battery_low": N_("Lock battery low"),
    "door_node_silent": N_("Door node silent"), "gateway_offline": N_("Floor gateway offline"),
    "outbox_growing": N_("Gateway outbox growing"),
}
SHOWN: dict[str, str] = {  # catalog key -> label, in the order the page shows them
    "temperature_c": N_("Temperature"), "humidity_pct": N_("Humidity"),
    "lock_battery_v": N_("Lock battery"), "link_quality_pct": N_("Door-node link"),
    "power_w": N_("Power"),
    "door_open": N_("Door"), "occupied": N_("Motion"),
}
UNITS = {"celsius": "°C", "humidity": "%", "percent": "%", "volt": "V", "watt": "W"}


@dataclass(frozen=True, slots=True)
class Shown:
    key: str
    value: str  # formatted with its unit; booleans are formatted by the template
    raw: object
    at: datetime


def shown_readings(readings: dict[str, ReadingView]) -> list[Shown]:
    out = []
    for key in SHOWN:
        reading = readings.get(key)
        if reading is None:
            continue
        spec, value = READINGS[key], reading.value
        text = value if isinstance(value, bool) else f"{value:.2f} V" if spec.unit == "volt" else (
            f"{value:.1f} {UNITS.get(spec.unit, '')}".strip())
        out.append(Shown(key, str(text), value, reading.at))
    return out


@dataclass(slots=True)
class RoomPage:
    readings: dict[str, ReadingView] = field(default_factory=dict)
    updated_at: datetime | None = None
    open_alerts: list[AlertView] = field(default_factory=list)
    recent_alerts: list[AlertView] = field(default_factory=list)
    tasks: list[TaskView] = field(default_factory=list)
    saving: RoomSaving | None = None  # energy saved by setback, estimated at the gateway


def room_page(session: Session, *, site: str, floor: str, room: str, recent: int = 20) -> RoomPage:
    page = RoomPage()
    latest = session.get(RoomTelemetryLatest, (site, floor, room))
    if latest is not None:
        page.updated_at = latest.updated_at
        page.readings = {k: ReadingView(value=v["v"], at=datetime.fromisoformat(v["at"]))
                         for k, v in (latest.readings or {}).items()}
    alerts = session.scalars(
        select(Alert).where(Alert.site == site, Alert.floor == floor, Alert.subject == room)
        .order_by(Alert.opened_at.desc(), Alert.id.desc()).limit(recent + 50))
    for alert in alerts:
        view = AlertView.model_validate(alert, from_attributes=True)
        if view.closed_at is None:
            page.open_alerts.append(view)
        elif len(page.recent_alerts) < recent:
            page.recent_alerts.append(view)
    page.tasks = [TaskView.model_validate(t, from_attributes=True) for t in session.scalars(
        select(MaintenanceTask).where(MaintenanceTask.site == site, MaintenanceTask.floor == floor,
                                      MaintenanceTask.room == room)
        .order_by(MaintenanceTask.id.desc()).limit(recent))]
    page.saving = room_saving(session, site=site, floor=floor, room=room)
    return page


@dataclass(slots=True)
class RoomInAlarm:
    site: str
    floor: str
    room: str
    alerts: list[AlertView] = field(default_factory=list)
    open_tasks: int = 0


def rooms_in_alarm(session: Session, *, sites: Collection[str]) -> list[RoomInAlarm]:
    """Every room (or gateway) of ``sites`` with an open alert, oldest alarm first."""
    rooms: dict[tuple[str, str, str], RoomInAlarm] = {}
    for alert in session.scalars(select(Alert).where(Alert.site.in_(sites), Alert.closed_at.is_(None))
                                 .order_by(Alert.opened_at, Alert.id)):
        key = (alert.site, alert.floor, alert.subject)
        entry = rooms.setdefault(key, RoomInAlarm(*key))
        entry.alerts.append(AlertView.model_validate(alert, from_attributes=True))
    for task in session.scalars(select(MaintenanceTask).where(
            MaintenanceTask.site.in_(sites), MaintenanceTask.status.in_(("open", "in_progress")))):
        entry_ = rooms.get((task.site, task.floor, task.room))
        if entry_ is not None:
            entry_.open_tasks += 1
    return list(rooms.values())
