"""The ARI sender: plans change marks into the outbox, sends what is due per channel at the
channel's pace (channels in parallel), retries with backoff, honours 429 and Retry-After, and
resyncs every night. It sleeps until a change is committed (:mod:`cloud.channels.wakeup`).

Under load a round is one transaction and the requests: the outcomes of a round are recorded in
the transaction that plans the next one (at once when nothing else is waiting), and the sender's
own commits do not wait for the disk (``synchronous_commit = off`` on PostgreSQL): one lost in a
crash only undoes the sender's work (the marks come back, a sent message is sent again, which is
harmless: ARI carries the values of the moment), never a booking.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text, tuple_
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog.models import Property
from cloud.channels import outbox
from cloud.channels.ari import AriCatalog, AriReader
from cloud.channels.models import Channel, ChannelMapping, ChannelMessage
from cloud.channels.pacing import Pace, backoff
from cloud.channels.port import AriItem, AriUpdate, ChannelPort, coalesce, occupancy_prices, weekly
from cloud.channels.status import note_syncs
from cloud.channels.wakeup import Wakeup
from cloud.core.clock import Clock
from cloud.core.delivery import DeliveryError
from cloud.core.money import exponent

log = logging.getLogger(__name__)
Sent = tuple[int, object, object]  # message id, first night, last night as read
ROUND_BACKOFF_CAP_S = 60.0  # the longest wait after failed rounds (a nudge still wakes the sender)


@dataclass(frozen=True)
class PushSettings:
    horizon_days: int = 365
    batch_max: int = 50  # queued messages per request, at most
    max_ranges: int = 1500  # and ranges per request (about 400 kB of XML; channels cap bodies near 1 MB)
    interval_s: float = 0.2  # between rounds when no notification wakes the sender
    idle_s: float = 5.0  # the longest sleep when notifications do
    nightly_hour_utc: int = 2
    parallel: int = 8  # requests sent at once (every channel's every kind in a round, usually)
    quick_commit: bool = True  # say per transaction that its commit need not wait for the disk
    synced_every_s: float = 1.0  # a channel's last success is written at most this often


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
        self._pool = ThreadPoolExecutor(
            max_workers=self.settings.parallel, thread_name_prefix="channels-send"
        )
        self._next_s: float | None = None  # seconds until something deferred is due
        self.rounds = self.requests = 0  # for the log line at stop
        self._unrecorded: list[tuple[Batch, DeliveryError | None]] = []  # sent, not yet recorded
        self._synced: dict[int, tuple[float, bool]] = {}  # channel -> last sync written (when, an error)
        self.catalog = AriCatalog()

    def start(self) -> None:
        self.wake.start()
        self._thread = threading.Thread(target=self.run, daemon=True, name="channels-ari")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
            if not self._thread.is_alive():
                try:
                    self.flush()  # what was sent is recorded (else it is sent again at the next start)
                except Exception:
                    log.exception("channel ARI: recording the last round at stop failed")
        self._pool.shutdown(wait=False, cancel_futures=True)

    def run(self) -> None:
        """Rounds until stopped, each right after a change commits (or when something deferred is due)."""
        failed = 0  # rounds failed in a row
        while not self._stop.is_set():
            try:
                self.nightly()
                self.tick()
                if not self.wake.is_set():  # nothing waiting: record now rather than with the next round
                    self.flush()
                failed = 0
            except Exception as exc:  # one bad round never stops the sender
                failed += 1
                log.exception("channel ARI round failed (%d in a row)", failed)
                self._note_failed_round(exc)
            self.wake.wait(self._sleep(failed))

    def _note_failed_round(self, exc: Exception) -> None:
        """The failure on every active OTA channel's page, as its last push error (the staff see
        that nothing is being sent, not only an old last success); best effort, since the
        database may be the fault."""
        try:
            with self.sessions.begin() as session:
                ids = session.scalars(
                    select(Channel.id).where(Channel.kind == "ota", Channel.paused.is_(False))
                ).all()
                reason = f"the sender's round failed: {type(exc).__name__}: {exc}"
                note_syncs(session, dict.fromkeys(ids, reason), "push", at=self.clock())
        except Exception:
            log.warning("channel ARI: the failed round could not be noted either", exc_info=True)

    def _sleep(self, failed: int = 0) -> float:
        """Until the next round: at most the idle interval; after failed rounds, the backoff of a
        failed message (a round that keeps failing neither spins nor floods the log)."""
        if failed:
            return min(backoff(failed), ROUND_BACKOFF_CAP_S)
        longest = self.settings.idle_s if self.wake.notified else self.settings.interval_s
        return longest if self._next_s is None else max(0.01, min(self._next_s, longest))

    def tick(self) -> int:
        """Rounds until nothing more is due now (or the channels' pace says wait); answers the
        requests sent."""
        sent = 0
        while True:
            count, more = self._round()
            sent += count
            if not (more and count):
                break
        self.rounds += 1
        self.requests += sent
        if self._thread is None:  # driven by hand (a test, a resync): everything recorded on return
            self.flush()
        return sent

    def flush(self) -> None:
        """Record what was sent and not yet recorded, in a transaction of its own."""
        if self._unrecorded:
            with self.sessions.begin() as session:
                self._quick_commit(session)
                self._record(session)

    def _round(self) -> tuple[int, bool]:
        """Plan the marks, read what is due for every channel and its ARI in one transaction (a
        few statements however many channels and bookings), send to the channels in parallel,
        record every outcome in one more transaction."""
        now = self.clock()
        with self.sessions.begin() as session:
            self._quick_commit(session)
            self._record(session)  # the previous round's outcomes, before what is due is read
            outbox.plan(session, now=now, horizon_days=self.settings.horizon_days)
            batches = self._batches(session, now)
        if len(batches) > 1:
            outcomes = list(self._pool.map(self._push, batches))
        else:
            outcomes = [self._push(b) for b in batches]
        self._unrecorded = outcomes
        answered = [b for b, error in outcomes if error is None or error.permanent]
        return len(answered), any(b.more for b in answered)

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

    def _batches(self, session: Session, now: datetime) -> list[Batch]:
        """Per channel due and within its pace, its next request (the oldest due message's kind)."""
        queued = list(
            session.scalars(
                select(ChannelMessage)
                .where(ChannelMessage.status == "queued")
                .order_by(ChannelMessage.id)
                .limit(self.settings.batch_max * 20)
            )
        )
        later = [(m.next_at - now).total_seconds() for m in queued if m.next_at > now]
        self._next_s = min(later) if later else None
        due: dict[int, list[ChannelMessage]] = {}
        for m in queued:
            if m.next_at <= now:
                due.setdefault(m.channel_id, []).append(m)
        if not due:
            return []
        channels: dict[int, tuple[Channel, Property]] = {}
        mappings: dict[int, list[ChannelMapping]] = {}
        for channel, prop, mapping in session.execute(  # channels, properties, mappings: one read
            select(Channel, Property, ChannelMapping)
            .join(Property, Property.id == Channel.property_id)
            .outerjoin(ChannelMapping, ChannelMapping.channel_id == Channel.id)
            .where(Channel.id.in_(due), Channel.paused.is_(False))
        ).all():
            channels[channel.id] = (channel, prop)
            if mapping is not None:
                mappings.setdefault(channel.id, []).append(mapping)
        chosen: list[tuple[int, list[ChannelMessage], bool]] = []  # one request per channel and kind
        for channel_id, rows in due.items():
            if channel_id not in channels:
                continue
            kinds = list(dict.fromkeys(r.kind for r in rows))  # oldest first
            for kind in kinds:
                if self._paced(channels[channel_id][0]):
                    break
                of_kind = [r for r in rows if r.kind == kind]
                chosen.append(
                    (channel_id, of_kind[: self.settings.batch_max], len(of_kind) > self.settings.batch_max)
                )
        self.catalog = self.catalog.current(session)
        reader = AriReader(session, self.catalog)
        reader.preload(
            [(r.room_type_id, r.first_night, r.last_night) for _c, rows, _m in chosen for r in rows]
        )
        return [
            self._batch(reader, *channels[channel_id], mappings.get(channel_id, []), rows, more=more)
            for channel_id, rows, more in chosen
        ]

    def _paced(self, channel: Channel) -> bool:
        pace = self.paces.setdefault(channel.id, Pace(channel.calls_per_minute))
        pace.per_minute = channel.calls_per_minute
        wait = pace.wait(time.monotonic())
        if wait > 0:
            self._next_s = wait if self._next_s is None else min(self._next_s, wait)
            return True
        pace.called(time.monotonic())  # the request about to be made counts at once
        return False

    def _batch(
        self,
        reader: AriReader,
        channel: Channel,
        prop: Property,
        mappings: list[ChannelMapping],
        rows: list[ChannelMessage],
        *,
        more: bool,
    ) -> Batch:
        codes = {(m.room_type_id, m.rate_plan_id): m for m in mappings}
        by_type = {type_id: m for (type_id, _plan), m in codes.items()}
        items: list[AriItem] = []
        taken: list[ChannelMessage] = []
        for row in rows:
            if taken and sum(len(i.ranges) for i in items) >= self.settings.max_ranges:
                more = True
                break  # the rest go in the next request
            taken.append(row)
            mapping = (
                by_type.get(row.room_type_id)
                if row.rate_plan_id is None
                else codes.get((row.room_type_id, row.rate_plan_id))
            )
            if mapping is not None:  # unmapped since: nothing to say
                item = self._item(reader, channel, mapping, row)
                if item is not None:
                    items.append(item)
        update = AriUpdate(
            kind=rows[0].kind,  # type: ignore[arg-type]  # the table's CHECK keeps it one of MessageKind
            hotel_code=channel.hotel_code,
            currency=prop.currency,
            decimals=exponent(prop.currency),
            after_tax=prop.prices_include_tax,
            items=tuple(items),
        )
        return Batch(
            channel.id,
            self.port_for(channel),
            update,
            [(r.id, r.first_night, r.last_night) for r in taken],
            more,
        )

    def _item(
        self, reader: AriReader, channel: Channel, mapping: ChannelMapping, row: ChannelMessage
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
            occupancy = occupancy_prices(self.catalog.types[row.room_type_id][1], mapping.occupancy_bp)
        return AriItem(
            mapping.room_code,
            None if row.kind == "counts" else mapping.rate_code,
            ranges,
            occupancy=occupancy,
        )

    def _push(self, batch: Batch) -> tuple[Batch, DeliveryError | None]:
        pace = self.paces[batch.channel_id]
        try:
            if batch.update.items:
                batch.port.push(batch.update)
        except DeliveryError as exc:
            if exc.retry_after is not None:
                pace.told_to_wait(time.monotonic(), exc.retry_after)
            log.warning(
                "channel %s: ARI refused (%s): %s",
                batch.channel_id,
                "permanent" if exc.permanent else "will retry",
                exc.reason,
            )
            return batch, exc
        return batch, None

    def _quick_commit(self, session: Session) -> None:
        """The sender's transactions do not wait for the disk at commit (PostgreSQL): losing one in
        a crash undoes only the sender's own work, which the next round does again."""
        if self.settings.quick_commit and session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET LOCAL synchronous_commit = off"))

    def _record(self, session: Session) -> None:
        """Every outcome of the last round, in the caller's transaction: sent messages gone (one
        widened meanwhile is kept and sent again), failed ones retried later or set aside."""
        outcomes, self._unrecorded = self._unrecorded, []
        if not outcomes:
            return
        now = self.clock()
        done = [m for batch, error in outcomes if error is None for m in batch.sent]
        failed = {m[0]: error for batch, error in outcomes if error is not None for m in batch.sent}
        if done:
            session.execute(
                delete(ChannelMessage).where(
                    tuple_(ChannelMessage.id, ChannelMessage.first_night, ChannelMessage.last_night).in_(
                        done
                    )
                )
            )
        if failed:
            for row in session.scalars(select(ChannelMessage).where(ChannelMessage.id.in_(failed))):
                exc = failed[row.id]
                row.attempts += 1
                row.last_error = exc.reason[:1000]
                if exc.permanent:
                    row.status = "failed"
                else:
                    row.next_at = now + timedelta(seconds=backoff(row.attempts, exc.retry_after))
        syncs = self._syncs({b.channel_id: None if e is None else e.reason for b, e in outcomes})
        if syncs:
            note_syncs(session, syncs, "push", at=now)

    def _syncs(self, outcomes: dict[int, str | None]) -> dict[int, str | None]:
        """The outcomes worth writing: every error, a success after an error, and otherwise a
        channel's success at most every ``synced_every_s`` (two statements a round saved under load)."""
        now, out = time.monotonic(), {}
        for channel_id, error in outcomes.items():
            last = self._synced.get(channel_id)
            if error is not None or last is None or last[1] or now - last[0] >= self.settings.synced_every_s:
                out[channel_id] = error
                self._synced[channel_id] = (now, error is not None)
        return out


@dataclass
class Batch:
    """One request of a round: to a channel, the update, the messages it answers for."""

    channel_id: int
    port: ChannelPort
    update: AriUpdate
    sent: list[Sent]
    more: bool  # the channel has more due than this request carries
