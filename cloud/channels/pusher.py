"""The ARI sender: plans change marks into the outbox, sends what is due per channel at the
channel's pace, retries with backoff, honours 429 and Retry-After, and resyncs every night."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog.models import Property
from cloud.channels import outbox
from cloud.channels.ari import AriReader
from cloud.channels.models import Channel, ChannelMapping, ChannelMessage
from cloud.channels.pacing import Pace, backoff
from cloud.channels.port import AriItem, AriUpdate, ChannelPort, coalesce
from cloud.channels.status import note_sync
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
    interval_s: float = 0.2
    nightly_hour_utc: int = 2


class AriPusher:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        port_for: Callable[[Channel], ChannelPort],
        clock: Clock,
        settings: PushSettings | None = None,
    ) -> None:
        self.sessions, self.port_for, self.clock = sessions, port_for, clock
        self.settings = settings or PushSettings()
        self.paces: dict[int, Pace] = {}
        self.last_nightly: object = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.wake = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True, name="channels-ari")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.nightly()
                self.tick()
            except Exception:  # one bad round never stops the sender
                log.exception("channel ARI round failed")
            self.wake.wait(self.settings.interval_s)
            self.wake.clear()

    def tick(self) -> int:
        """Plan the marks, then send what is due; answers the requests sent."""
        now = self.clock()
        with self.sessions.begin() as session:
            outbox.plan(session, now=now, horizon_days=self.settings.horizon_days)
        sent = 0
        for channel_id in self._due_channels(now):
            while self._send_one(channel_id):
                sent += 1
        return sent

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

    def _due_channels(self, now: datetime) -> list[int]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(ChannelMessage.channel_id)
                    .distinct()
                    .where(ChannelMessage.status == "queued", ChannelMessage.next_at <= now)
                )
            )

    def _send_one(self, channel_id: int) -> bool:
        now = self.clock()
        with self.sessions() as session:
            channel = session.get(Channel, channel_id)
            if channel is None or channel.paused:
                return False
            pace = self.paces.setdefault(channel_id, Pace(channel.calls_per_minute))
            pace.per_minute = channel.calls_per_minute
            if pace.wait(time.monotonic()) > 0:
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
        first = session.scalar(
            select(ChannelMessage)
            .where(
                ChannelMessage.channel_id == channel.id,
                ChannelMessage.status == "queued",
                ChannelMessage.next_at <= now,
            )
            .order_by(ChannelMessage.id)
            .limit(1)
        )
        if first is None:
            return None
        rows = list(
            session.scalars(
                select(ChannelMessage)
                .where(
                    ChannelMessage.channel_id == channel.id,
                    ChannelMessage.status == "queued",
                    ChannelMessage.kind == first.kind,
                    ChannelMessage.next_at <= now,
                )
                .order_by(ChannelMessage.id)
                .limit(self.settings.batch_max)
            )
        )
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
            values = reader.values(
                type_id=row.room_type_id,
                plan_id=mapping.rate_plan_id,
                markup_bp=channel.markup_bp,
                first=row.first_night,
                last=row.last_night,
            )
            ranges = coalesce(row.kind, values)  # type: ignore[arg-type]
            if row.kind == "rates":
                ranges = tuple(r for r in ranges if r.value.price_minor is not None)
            if ranges:
                items.append(
                    AriItem(mapping.room_code, None if row.kind == "counts" else mapping.rate_code, ranges)
                )
        update = AriUpdate(
            kind=first.kind,  # type: ignore[arg-type]  # the table's CHECK keeps it one of MessageKind
            hotel_code=channel.hotel_code,
            currency=prop.currency,
            decimals=exponent(prop.currency),
            after_tax=prop.prices_include_tax,
            items=tuple(items),
        )
        return update, [(r.id, r.first_night, r.last_night) for r in taken]

    def _done(self, channel_id: int, sent: list[Sent]) -> None:
        with self.sessions.begin() as session:
            for message_id, first, last in sent:  # one widened meanwhile is sent again
                session.execute(
                    delete(ChannelMessage).where(
                        ChannelMessage.id == message_id,
                        ChannelMessage.first_night == first,
                        ChannelMessage.last_night == last,
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
            for message_id, _first, _last in sent:
                row = session.get(ChannelMessage, message_id)
                if row is None:
                    continue
                row.attempts += 1
                row.last_error = exc.reason[:1000]
                if exc.permanent:
                    row.status = "failed"
                else:
                    row.next_at = now + timedelta(seconds=backoff(row.attempts, exc.retry_after))
            note_sync(session, channel_id, "push", at=now, error=exc.reason)
