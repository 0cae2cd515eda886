"""Checks against what was sold: nothing applied may take a room, type or plan from a stay."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cloud.catalog.models import Property, RatePlan, Room, RoomType
from cloud.reservations.models import HOLDING, Reservation, RoomAllocation
from cloud.setup.diff import Diff
from cloud.setup.document import PropertyDocument
from cloud.setup.errors import Problem
from cloud.setup.keys import KEYS


def guard(
    session: Session, prop: Property | None, doc: PropertyDocument, diff: Diff, *, today: date
) -> list[Problem]:
    """Every problem of applying ``diff`` to the property as sold (empty for a new property)."""
    found = list(_number_taken(session, prop, doc))
    if prop is None:
        return found
    rooms = {r.slug: r for r in session.scalars(select(Room).where(Room.property_id == prop.id))}
    stays = _future_stays(session, [r.id for r in rooms.values()], today=today)
    index = {r.id: i for i, r in enumerate(doc.rooms)}
    for change in diff.changes:
        if change.section == "rooms" and change.action in ("delete", "retire") and change.key in rooms:
            found.extend(_removed_room(change.key, stays.get(rooms[change.key].id, [])))
        elif change.section == "rooms" and change.action == "update" and change.before and change.after:
            found.extend(
                _changed_room(
                    f"rooms[{index[change.key]}]",
                    change.before,
                    change.after,
                    stays.get(rooms[change.key].id, []),
                )
            )
        elif change.section in ("room_types", "rate_plans") and change.action == "delete":
            found.extend(_sold(session, prop, change.section, change.key))
    for i, period in enumerate(doc.out_of_order):
        if change_of(diff, "out_of_order", period) and period.room in rooms:
            clash = [
                s for s in stays.get(rooms[period.room].id, []) if s[1] < period.until and s[2] > period.from_
            ]
            if clash:
                listed = ", ".join(f"{res} ({start}..{end})" for res, start, end in clash)
                found.append(
                    Problem(
                        f"out_of_order[{i}]",
                        f"room {period.room!r} has stays on those nights; move them first: {listed}",
                    )
                )
    return found


def change_of(diff: Diff, section: str, part: object) -> bool:
    """Whether ``part`` is created or changed by the diff (not merely kept)."""
    key = KEYS[section](part)
    return any(
        c.section == section and c.key == key and c.action in ("create", "update") for c in diff.changes
    )


Stay = tuple[str, date, date]  # reservation id, first night, departure


def _future_stays(session: Session, room_ids: list[int], *, today: date) -> dict[int, list[Stay]]:
    rows = session.execute(
        select(
            RoomAllocation.room_id,
            RoomAllocation.reservation_id,
            RoomAllocation.start_night,
            RoomAllocation.end_night,
        )
        .join(Reservation, Reservation.id == RoomAllocation.reservation_id)
        .where(
            RoomAllocation.room_id.in_(room_ids),
            RoomAllocation.kind == "stay",
            RoomAllocation.end_night > today,
            Reservation.status.in_(HOLDING),
        )
        .order_by(RoomAllocation.start_night)
    )
    found: dict[int, list[Stay]] = {}
    for room_id, reservation_id, start, end in rows:
        found.setdefault(room_id, []).append((str(reservation_id), start, end))
    return found


def _removed_room(slug: str, stays: list[Stay]) -> Iterable[Problem]:
    if stays:
        last = max(end for _r, _s, end in stays)
        yield Problem(
            "rooms",
            f"room {slug!r} has {len(stays)} stay(s) to come, the last ending {last}: it "
            f"cannot be removed; retire it after them instead (retired_from: {last})",
        )


def _changed_room(
    path: str, before: dict[str, object], after: dict[str, object], stays: list[Stay]
) -> Iterable[Problem]:
    if not stays:
        return
    last = max(end for _r, _s, end in stays)
    if before.get("type") != after.get("type"):
        yield Problem(f"{path}.type", f"the room has stays to come (until {last}): its type cannot change")
    retired = after.get("retired_from")
    if (
        retired is not None
        and retired != before.get("retired_from")
        and date.fromisoformat(str(retired)) < last
    ):
        yield Problem(f"{path}.retired_from", f"the room has stays until {last}: retire it from then on")


def _sold(session: Session, prop: Property, section: str, code: str) -> Iterable[Problem]:
    if section == "room_types":
        type_id = session.scalar(
            select(RoomType.id).where(RoomType.property_id == prop.id, RoomType.code == code)
        )
        sold = or_(Reservation.room_type_id == type_id, Reservation.inventory_type_id == type_id)
    else:
        plan_id = session.scalar(
            select(RatePlan.id).where(RatePlan.property_id == prop.id, RatePlan.code == code)
        )
        sold = Reservation.rate_plan_id == plan_id
    count = session.scalar(select(func.count()).select_from(Reservation).where(sold)) or 0
    if count:
        what = "room type" if section == "room_types" else "rate plan"
        yield Problem(section, f"{what} {code!r} was sold ({count} reservations): it cannot be removed")


def _number_taken(session: Session, prop: Property | None, doc: PropertyDocument) -> Iterable[Problem]:
    other = session.scalar(
        select(Property.slug).where(
            Property.number == doc.property.number, Property.slug != doc.property.site
        )
    )
    if other is not None:
        yield Problem("property.number", f"number {doc.property.number} is property {other!r}'s")
