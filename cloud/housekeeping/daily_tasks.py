"""The day's housekeeping tasks: generated from the stays (each day, and when a room is vacated),
assigned by floor and workload (``tasks.assign``), started and finished with the minutes recorded.

Generating twice adds nothing: a room has at most one task of a kind per day (unique in the
database), so the daily run, a vacated room and a manual run can overlap safely."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog.models import Floor, Property, Room
from cloud.core.errors import DomainError, NotFound
from cloud.housekeeping.models import HousekeepingRoster, HousekeepingTask
from cloud.housekeeping.tasks import EXPECTED_MINUTES, Housekeeper, RoomDay, TaskKind, TaskSpec, assign, plan
from cloud.reservations.models import HOLDING, Reservation, RoomAllocation
from mqtt.envelope import new_id


class TaskRefused(DomainError):
    status = 409
    type_ = "/problems/housekeeping/task-refused"
    title = "Not possible for this task"


class UnknownTask(NotFound):
    type_ = "/problems/housekeeping/unknown-task"


def rooms_of_day(session: Session, *, site: str, day: date) -> list[RoomDay]:
    """Rooms whose stay ends today (departing) or goes on through today (staying)."""
    rows = session.execute(
        select(Floor.slug, Room.slug, RoomAllocation.start_night, RoomAllocation.end_night)
        .join(Room, Room.id == RoomAllocation.room_id)
        .join(Floor, Floor.id == Room.floor_id)
        .join(Property, Property.id == Room.property_id)
        .join(Reservation, Reservation.id == RoomAllocation.reservation_id)
        .where(
            Property.slug == site,
            Reservation.status.in_(HOLDING),
            RoomAllocation.start_night < day,
            RoomAllocation.end_night >= day,
        )
    ).all()
    return [RoomDay(floor=f, room=r, departing=end == day, staying=end > day) for f, r, _, end in rows]


def _roster(session: Session, site: str) -> list[Housekeeper]:
    rows = session.scalars(select(HousekeepingRoster).where(HousekeepingRoster.site == site))
    return [Housekeeper(r.username, frozenset(r.floors)) for r in rows]


def _add(
    session: Session, *, site: str, day: date, specs: list[TaskSpec], source: str
) -> list[HousekeepingTask]:
    existing = list(
        session.scalars(
            select(HousekeepingTask).where(HousekeepingTask.site == site, HousekeepingTask.day == day)
        )
    )
    have = {(t.room, t.kind) for t in existing}
    load: dict[str, int] = {}
    for t in existing:
        if t.assignee:
            load[t.assignee] = load.get(t.assignee, 0) + t.expected_minutes
    fresh = [s for s in specs if (s.room, s.kind.value) not in have]
    rows = [
        HousekeepingTask(
            id=new_id(),
            site=site,
            floor=s.floor,
            room=s.room,
            day=day,
            kind=s.kind.value,
            source=source,
            state="open",
            assignee=who,
            expected_minutes=s.minutes,
        )
        for s, who in assign(fresh, _roster(session, site), load)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def generate(session: Session, *, site: str, day: date) -> list[HousekeepingTask]:
    return _add(
        session, site=site, day=day, specs=plan(rooms_of_day(session, site=site, day=day)), source="daily"
    )


def vacated(session: Session, *, site: str, floor: str, room: str, day: date) -> list[HousekeepingTask]:
    """A room left: its departure clean and inspection today (if not planned already)."""
    specs = [TaskSpec(floor, room, k, EXPECTED_MINUTES[k]) for k in (TaskKind.DEPARTURE, TaskKind.INSPECTION)]
    return _add(session, site=site, day=day, specs=specs, source="vacated")


def set_floors(session: Session, *, site: str, username: str, floors: list[str]) -> HousekeepingRoster:
    row = session.get(HousekeepingRoster, (site, username)) or HousekeepingRoster(
        site=site, username=username
    )
    row.floors = sorted(set(floors))
    session.add(row)
    session.flush()
    return row


def step(
    session: Session, *, site: str, task_id: str, action: str, actor: str, now: datetime
) -> HousekeepingTask:
    """``start`` (takes the task) or ``finish`` (records the minutes since the start)."""
    task = session.get(HousekeepingTask, task_id)
    if task is None or task.site != site:
        raise UnknownTask(f"no housekeeping task {task_id} at {site}")
    if action == "start" and task.state == "open":
        task.state, task.started_at, task.assignee = "started", now, task.assignee or actor
    elif action == "finish" and task.state == "started" and task.started_at is not None:
        started = task.started_at
        if started.tzinfo is None:
            started = started.replace(tzinfo=now.tzinfo)
        task.state, task.finished_at = "done", now
        task.minutes = max(1, round((now - started) / timedelta(minutes=1)))
    else:
        raise TaskRefused(f"a task that is {task.state} cannot be {action}ed")
    session.flush()
    return task


def tasks_of(
    session: Session, *, site: str, day: date, assignee: str | None = None
) -> list[HousekeepingTask]:
    query = select(HousekeepingTask).where(HousekeepingTask.site == site, HousekeepingTask.day == day)
    if assignee is not None:
        query = query.where(HousekeepingTask.assignee == assignee)
    return list(
        session.scalars(query.order_by(HousekeepingTask.floor, HousekeepingTask.room, HousekeepingTask.kind))
    )
