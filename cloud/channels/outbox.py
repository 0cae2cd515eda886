"""The durable ARI outbox: change marks turned into coalesced messages per channel and kind.

A message is (channel, kind, room type, plan, nights first..last). A new one that touches or
overlaps a queued one of the same key widens it instead, so a burst of bookings on the same
nights is one message; the values are read when it is sent, so it always carries the latest.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cloud.catalog.models import Property, RatePlan, RoomType
from cloud.channels.models import Channel, ChannelChange, ChannelMapping, ChannelMessage
from cloud.channels.port import MessageKind, merge_spans
from cloud.channels.wakeup import poke
from cloud.core.nights import local_today

Key = tuple[int, str, int, int | None]  # channel, kind, room type, rate plan (None: counts)
INVENTORY: tuple[MessageKind, ...] = ("availability", "counts")
RATES: tuple[MessageKind, ...] = ("rates",)
RESTRICTIONS: tuple[MessageKind, ...] = ("availability", "restrictions")
EVERYTHING: tuple[MessageKind, ...] = ("availability", "restrictions", "rates", "counts")
BATCH = 5000
GAP = 7  # queued nights at most this far apart travel in one message


def plan(session: Session, *, now: datetime, horizon_days: int) -> int:
    """Turn pending change marks into queued messages; answers how many marks it took.

    The marks are taken and deleted in one statement (DELETE ... RETURNING), their properties'
    active channels read in one more, and the queue merged in one: a round costs a few queries
    however many bookings it follows."""
    taken = select(ChannelChange.id).order_by(ChannelChange.id).limit(BATCH)
    type_prop = select(RoomType.property_id).where(RoomType.id == ChannelChange.room_type_id)
    plan_prop = select(RatePlan.property_id).where(RatePlan.id == ChannelChange.rate_plan_id)
    marks = session.execute(
        delete(ChannelChange)
        .where(ChannelChange.id.in_(taken))
        .returning(
            func.coalesce(
                ChannelChange.property_id,
                type_prop.correlate(ChannelChange).scalar_subquery(),
                plan_prop.correlate(ChannelChange).scalar_subquery(),
            ),
            ChannelChange.room_type_id,
            ChannelChange.rate_plan_id,
            ChannelChange.first_night,
            ChannelChange.last_night,
            ChannelChange.property_id.label("marked_property"),  # only restrictions mark it
        )
    ).all()
    if not marks:
        return 0
    changes = [Mark(*row[:5], restriction=row[5] is not None) for row in marks]
    wanted: dict[Key, list[tuple[date, date]]] = defaultdict(list)
    found = _by_property(changes)
    active = _active(session, set(found))
    for prop_id, prop_changes in found.items():
        channels = active.get(prop_id)
        if not channels:
            continue
        today = local_today(now, channels[0][2])
        for change in prop_changes:
            for channel, mapping, _zone in channels:
                if change.room_type_id not in (None, mapping.room_type_id) or change.rate_plan_id not in (
                    None,
                    mapping.rate_plan_id,
                ):
                    continue
                span = _clip(change, today, horizon_days)
                if span is not None:
                    for kind in _kinds(change):
                        plan_id = None if kind == "counts" else mapping.rate_plan_id
                        wanted[(channel.id, kind, mapping.room_type_id, plan_id)].append(span)
    _merge_into_queue(session, wanted, now=now)
    return len(changes)


@dataclass(frozen=True)
class Mark:
    """A change mark as taken from ``channel_changes`` (with its property, however it was marked)."""

    property_id: int | None
    room_type_id: int | None
    rate_plan_id: int | None
    first_night: date | None
    last_night: date | None
    restriction: bool


def _merge_into_queue(session: Session, wanted: dict[Key, list[tuple[date, date]]], *, now: datetime) -> None:
    """Every wanted span merged with the queued messages of its key, read in one query."""
    queued: dict[Key, list[ChannelMessage]] = defaultdict(list)
    if wanted:
        for m in session.scalars(
            select(ChannelMessage)
            .where(ChannelMessage.channel_id.in_({k[0] for k in wanted}), ChannelMessage.status == "queued")
            .order_by(ChannelMessage.id)
            .with_for_update()
        ):
            queued[(m.channel_id, m.kind, m.room_type_id, m.rate_plan_id)].append(m)
    for key, spans in wanted.items():
        rows = queued.get(key, [])
        merged = merge_spans([*spans, *((m.first_night, m.last_night) for m in rows)], gap=GAP)
        for row, (first, last) in zip(rows, merged, strict=False):
            row.first_night, row.last_night = first, last
        for row in rows[len(merged) :]:
            session.delete(row)
        for first, last in merged[len(rows) :]:
            _add(session, key, first=first, last=last, now=now)


def resync(session: Session, channel: Channel, *, now: datetime, horizon_days: int) -> int:
    """Queue everything of every mapping from today over the horizon; answers the messages queued."""
    prop = session.get(Property, channel.property_id)
    assert prop is not None
    first = local_today(now, prop.timezone)
    last = first + timedelta(days=horizon_days - 1)
    keys: set[Key] = set()
    for mapping in session.scalars(select(ChannelMapping).where(ChannelMapping.channel_id == channel.id)):
        for kind in EVERYTHING:
            keys.add(
                (channel.id, kind, mapping.room_type_id, None if kind == "counts" else mapping.rate_plan_id)
            )
    for key in sorted(keys, key=str):
        enqueue(session, key, first=first, last=last, now=now)
    poke(session)  # the sender (maybe another process) wakes at the commit
    return len(keys)


def enqueue(session: Session, key: Key, *, first: date, last: date, now: datetime) -> None:
    channel_id, kind, type_id, plan_id = key
    queued = list(
        session.scalars(
            select(ChannelMessage)
            .where(
                ChannelMessage.channel_id == channel_id,
                ChannelMessage.kind == kind,
                ChannelMessage.room_type_id == type_id,
                ChannelMessage.status == "queued",
                ChannelMessage.rate_plan_id.is_(None)
                if plan_id is None
                else ChannelMessage.rate_plan_id == plan_id,
                ChannelMessage.first_night <= last + timedelta(days=1 + GAP),
                ChannelMessage.last_night >= first - timedelta(days=1 + GAP),
            )
            .with_for_update()
        )
    )
    if queued:
        keep = queued[0]
        keep.first_night = min([first, *(m.first_night for m in queued)])
        keep.last_night = max([last, *(m.last_night for m in queued)])
        for other in queued[1:]:
            session.delete(other)
        return
    _add(session, key, first=first, last=last, now=now)


def _add(session: Session, key: Key, *, first: date, last: date, now: datetime) -> None:
    channel_id, kind, type_id, plan_id = key
    session.add(
        ChannelMessage(
            channel_id=channel_id,
            kind=kind,
            room_type_id=type_id,
            rate_plan_id=plan_id,
            first_night=first,
            last_night=last,
            status="queued",
            attempts=0,
            next_at=now,
            queued_at=now,
            last_error="",
        )
    )


def _by_property(changes: list[Mark]) -> dict[int, list[Mark]]:
    out: dict[int, list[Mark]] = defaultdict(list)
    for change in changes:
        if change.property_id is not None:  # None: its type or plan is gone
            out[change.property_id].append(change)
    return out


def _active(session: Session, prop_ids: set[int]) -> dict[int, list[tuple[Channel, ChannelMapping, str]]]:
    """Per property, its active OTA channels' mappings (and the property's time zone)."""
    out: dict[int, list[tuple[Channel, ChannelMapping, str]]] = defaultdict(list)
    if not prop_ids:
        return out
    for channel, mapping, zone in session.execute(
        select(Channel, ChannelMapping, Property.timezone)
        .join(ChannelMapping, ChannelMapping.channel_id == Channel.id)
        .join(Property, Property.id == Channel.property_id)
        .where(Channel.property_id.in_(prop_ids), Channel.kind == "ota", Channel.paused.is_(False))
    ).all():
        out[channel.property_id].append((channel, mapping, zone))
    return out


def _kinds(change: Mark) -> tuple[MessageKind, ...]:
    if change.restriction:
        return RESTRICTIONS
    return RATES if change.rate_plan_id is not None else INVENTORY


def _clip(change: Mark, today: date, horizon_days: int) -> tuple[date, date] | None:
    end = today + timedelta(days=horizon_days - 1)
    first = max(change.first_night or today, today)
    last = min(change.last_night or end, end)
    return (first, last) if first <= last else None
