"""Imports every active iCal channel's feeds on a schedule (a worker started with the app)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.channels.ical.importer import import_feed
from cloud.channels.models import Channel, ChannelMapping
from cloud.core.clock import Clock
from cloud.core.periodic import Periodic
from cloud.reservations.stays.ledger import StayLedger


class FeedPuller:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        fetch: Callable[[str], bytes],
        clock: Clock,
        ledger: StayLedger | None,
        interval_s: float,
    ) -> None:
        self.sessions, self.fetch, self.clock, self.ledger = sessions, fetch, clock, ledger
        self._periodic = Periodic(self.round, interval_s=interval_s, name="channels-ical",
                                  done="imported %d iCal feeds")

    def start(self) -> None:
        self._periodic.start()

    def stop(self) -> None:
        self._periodic.stop()

    def round(self) -> int:
        """Import every feed once (each on its own: one bad feed leaves the others alone)."""
        with self.sessions() as session:
            feeds = list(
                session.execute(
                    select(Channel.id, ChannelMapping.id)
                    .join(ChannelMapping, ChannelMapping.channel_id == Channel.id)
                    .where(
                        Channel.kind == "ical",
                        Channel.paused.is_(False),
                        ChannelMapping.import_url.is_not(None),
                    )
                    .order_by(Channel.id, ChannelMapping.id)
                ).all()
            )
        return sum(
            import_feed(
                self.sessions, channel_id, mapping_id, fetch=self.fetch, now=self.clock(), ledger=self.ledger
            )
            for channel_id, mapping_id in feeds
        )
