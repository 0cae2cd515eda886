"""The ARI sender: plans change marks into the outbox, sends what is due per channel at the
channel's pace (channels in parallel), retries with backoff, honours 429 and Retry-After, and
resyncs every night. It sleeps until a change is committed (:mod:`cloud.channels.wakeup`)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog.models import Property, RoomType
from cloud.channels import outbox
from cloud.channels.ari import AriReader
from cloud.channels.models import Channel, ChannelMapping, ChannelMessage
from cloud.channels.pacing import Pace, backoff
from cloud.channels.port import AriItem, AriUpdate, ChannelPort, coalesce, occupancy_prices, weekly
from cloud.channels.status import note_sync
from cloud.channels.wakeup import Wakeup
from cloud.core.clock import Clock
from cloud.core.delivery import DeliveryError
from cloud.core.money import exponent

log = logging.getLogger(__name__)
Sent = tuple[int, object, object]  # message id, first night, last night as read


@dataclass(frozen=True)
class PushSettings:
    horizon_days: int = 365
    batch_max: int = 50  # queued messages per request, at most
    max_ranges: int = 1500  # and ranges per request (about 400 kB of XML; channels cap bodies near 1 MB)
    interval_s: float = 0.2  # between rounds when no notification wakes the sender
    idle_s: float = 5.0  # the longest sleep when notifications do
    nightly_hour_utc: int = 2
    parallel: int = 4  # channels sent to at once


class AriPusher:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        port_for: Callable[[Channel], ChannelPort],
        clock: Clock,
        settings: PushSettings | None = None,
        wake: Wakeup | None = None,
    ) -> None:
        self.sessions, self.port_for, self.clock = sessions, port_for, clock
        self.settings = settings or PushSettings()
        self.paces: dict[int, Pace] = {}
        self.last_nightly: object = None
        self.wake = wake or Wakeup()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=self.settings.parallel, thread_name_prefix="channels-send")
        self._next_s: float | None = None  # seconds until something deferred is due

    def start(self) -> None:
        self.wake.start()
        self._thread = threading.Thread(target=self.run, daemon=True, name="channels-ari")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def run(self) -> None:
        """Rounds until stopped, each right after a change commits (or when something deferred is due)."""
        while not self._stop.is_set():
            try:
                self.nightly()
                self.tick()
            except Exception:  # one bad round never stops the sender
                log.exception("channel ARI round failed")
            self.wake.wait(self._sleep())

    def _sleep(self) -> float:
        longest = self.settings.idle_s if self.wake.notified else self.settings.interval_s
        return longest if self._next_s is None else max(0.01, min(self._next_s, longest))

    def tick(self) -> int:
        """Plan the marks, then send what is due; answers the requests sent."""
        now = self.clock()
        with self.sessions.begin() as session:
            outbox.plan(session, now=now, horizon_days=self.settings.horizon_days)
            due, later = self._due_channels(session, now)
        self._next_s = later
        if len(due) <= 1 or self.settings.parallel <= 1:
            return sum(self._drain(channel_id) for channel_id in due)
        return sum(self._pool.map(self._drain, due))

    def nightly(self) -> None:
        now = self.clock()
        if now.hour != self.settings.nightly_hour_utc or self.last_nightly == now.date():
            return
        self.last_nightly = now.date()
        with self.sessions.begin() as session:
            for channel in session.scalars(
                select(Channel).where(Channel.kind == "ota", Channel.paused.is_(False))
            ):
                outbox.resync(session, channel, now=now, horizon_days=self.settings.horizon_days)

    def _due_channels(self, session: Session, now: datetime) -> tuple[list[int], float | None]:
        """Channels with a message due now, and the seconds until the next deferred one."""
        due, later = [], None
        for channel_id, first_at in session.execute(
            select(ChannelMessage.channel_id, func.min(ChannelMessage.next_at))
            .where(ChannelMessage.status == "queued")
            .group_by(ChannelMessage.channel_id)
        ).all():
            wait = (first_at - now).total_seconds()
            if wait <= 0:
                due.append(channel_id)
            else:
                later = wait if later is None else min(later, wait)
        return due, later

    def _drain(self, channel_id: int) -> int:
        sent = 0
        while self._send_one(channel_id):
            sent += 1
        return sent

    def _send_one(self, channel_id: int) -> bool:
        now = self.clock()
        with self.sessions() as session:
            channel = session.get(Channel, channel_id)
            if channel is None or channel.paused:
                return False
            pace = self.paces.setdefault(channel_id, Pace(channel.calls_per_minute))
            pace.per_minute = channel.calls_per_minute
            wait = pace.wait(time.monotonic())
            if wait > 0:
                self._next_s = wait if self._next_s is None else min(self._next_s, wait)
                return False
            batch = self._batch(session, channel, now)
            if batch is None:
                return False
            update, sent = batch
            port = self.port_for(channel)
        pace.called(time.monotonic())
        try:
            if update.items:
                port.push(update)
        except DeliveryError as exc:
            self._failed(channel_id, sent, exc, pace)
            return exc.permanent  # a refused message is set aside; a channel that is down waits
        self._done(channel_id, sent)
        return True

    def _batch(
        self, session: Session, channel: Channel, now: datetime
    ) -> tuple[AriUpdate, list[Sent]] | None:
        queued = list(
            session.scalars(
                select(ChannelMessage)
                .where(
                    ChannelMessage.channel_id == channel.id,
                    ChannelMessage.status == "queued",
                    ChannelMessage.next_at <= now,
                )
                .order_by(ChannelMessage.id)
                .limit(self.settings.batch_max * 4)
            )
        )
        if not queued:
            return None
        kind = queued[0].kind
        rows = [r for r in queued if r.kind == kind][: self.settings.batch_max]
        prop = session.get(Property, channel.property_id)
        assert prop is not None
        codes = {
            (m.room_type_id, m.rate_plan_id): m
            for m in session.scalars(select(ChannelMapping).where(ChannelMapping.channel_id == channel.id))
        }
        by_type = {type_id: m for (type_id, _plan), m in codes.items()}
        reader = AriReader(session)
        reader.preload([(r.room_type_id, r.first_night, r.last_night) for r in rows])
        items: list[AriItem] = []
        taken: list[ChannelMessage] = []
        for row in rows:
            if taken and sum(len(i.ranges) for i in items) >= self.settings.max_ranges:
                break  # the rest go in the next request
            taken.append(row)
            mapping = (
                by_type.get(row.room_type_id)
                if row.rate_plan_id is None
                else codes.get((row.room_type_id, row.rate_plan_id))
            )
            if mapping is None:
                continue  # unmapped since: nothing to say
            item = self._item(session, reader, channel, mapping, row)
            if item is not None:
                items.append(item)
        update = AriUpdate(
            kind=kind,  # type: ignore[arg-type]  # the table's CHECK keeps it one of MessageKind
            hotel_code=channel.hotel_code,
            currency=prop.currency,
            decimals=exponent(prop.currency),
            after_tax=prop.prices_include_tax,
            items=tuple(items),
        )
        return update, [(r.id, r.first_night, r.last_night) for r in taken]

    def _item(
        self, session: Session, reader: AriReader, channel: Channel, mapping: ChannelMapping, row: ChannelMessage
    ) -> AriItem | None:
        values = reader.values(
            type_id=row.room_type_id,
            plan_id=mapping.rate_plan_id,
            markup_bp=channel.markup_bp,
            first=row.first_night,
            last=row.last_night,
        )
        if row.kind == "rates":
            values = [(n, v) for n, v in values if v.price_minor is not None]
        ranges = weekly(row.kind, values, plain=coalesce(row.kind, values))  # type: ignore[arg-type]
        if not ranges:
            return None
        occupancy = None
        if row.kind == "rates":
            type_ = session.get(RoomType, row.room_type_id)
            assert type_ is not None
            occupancy = occupancy_prices(type_.max_guests, mapping.occupancy_bp)
        return AriItem(
            mapping.room_code, None if row.kind == "counts" else mapping.rate_code, ranges, occupancy=occupancy
        )

    def _done(self, channel_id: int, sent: list[Sent]) -> None:
        with self.sessions.begin() as session:
            # one statement; a message widened meanwhile (other nights) is kept and sent again
            session.execute(
                delete(ChannelMessage).where(
                    tuple_(ChannelMessage.id, ChannelMessage.first_night, ChannelMessage.last_night).in_(sent)
                )
            )
            note_sync(session, channel_id, "push", at=self.clock())

    def _failed(self, channel_id: int, sent: list[Sent], exc: DeliveryError, pace: Pace) -> None:
        now = self.clock()
        if exc.retry_after is not None:
            pace.told_to_wait(time.monotonic(), exc.retry_after)
        log.warning(
            "channel %s: ARI refused (%s): %s",
            channel_id,
            "permanent" if exc.permanent else "will retry",
            exc.reason,
        )
        with self.sessions.begin() as session:
            for row in session.scalars(
                select(ChannelMessage).where(ChannelMessage.id.in_([m for m, _f, _l in sent]))
            ):
                row.attempts += 1
                row.last_error = exc.reason[:1000]
                if exc.permanent:
                    row.status = "failed"
                else:
                    row.next_at = now + timedelta(seconds=backoff(row.attempts, exc.retry_after))
            note_sync(session, channel_id, "push", at=now, error=exc.reason)
