"""The channel manager's running parts, built by the app factory: settings, the ARI sender and the
iCal importer (workers), and the HTTP client they share."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import httpx
from sqlalchemy.orm import Session, sessionmaker

from cloud.channels.credentials import Credentials
from cloud.channels.ical.fetch import fetch
from cloud.channels.ical.puller import FeedPuller
from cloud.channels.models import Channel
from cloud.channels.ota.client import OtaChannel
from cloud.channels.port import ChannelPort
from cloud.channels.pusher import AriPusher, PushSettings
from cloud.channels.settings import ChannelSettings
from cloud.channels.wakeup import wakeup_for
from cloud.core.clock import Clock
from cloud.core.http import outbound_client
from cloud.reservations.stays.ledger import StayLedger


class _Silent:
    """The port of a channel that takes no ARI push (iCal: the channel reads our feeds)."""

    def push(self, update: object) -> None:
        return None


@dataclass
class ChannelContext:
    settings: ChannelSettings
    pusher: AriPusher
    puller: FeedPuller
    client: httpx.Client

    def start(self) -> None:
        """The context is a worker too, so the app closes its HTTP client when it stops."""

    def stop(self) -> None:
        self.client.close()


def sender_mode(settings: ChannelSettings, *, database_url: str) -> str:
    """Where the ARI sender runs: ``process``, ``thread`` or ``external``."""
    if settings.channels_sender != "auto":
        return settings.channels_sender
    return "process" if database_url.startswith("postgresql") else "thread"


def build_pusher(
    sessions: sessionmaker[Session],
    settings: ChannelSettings,
    *,
    clock: Clock,
    client: httpx.Client,
    quick_engine: bool = False,
) -> AriPusher:
    """The ARI sender, woken by the database's notifications where it sends them (``quick_engine``:
    its engine's commits already do not wait for the disk, so its rounds need not say so)."""

    def port_for(channel: Channel) -> ChannelPort:
        if channel.kind == "ota" and channel.endpoint_url:
            credentials = Credentials.from_stored(channel.credentials)
            return OtaChannel(client, url=channel.endpoint_url, clock=clock, credentials=credentials)
        return _Silent()

    engine = sessions.kw["bind"]
    return AriPusher(
        sessions,
        port_for=port_for,
        clock=clock,
        wake=wakeup_for(engine),
        settings=PushSettings(
            horizon_days=settings.channels_horizon_days,
            batch_max=settings.channels_batch_max,
            interval_s=settings.channels_push_interval_s,
            idle_s=settings.channels_idle_s,
            nightly_hour_utc=settings.channels_nightly_hour_utc,
            quick_commit=not quick_engine,
        ),
    )


def build_channels(
    sessions: sessionmaker[Session], settings: ChannelSettings, *, clock: Clock, ledger: StayLedger | None
) -> ChannelContext:
    client = outbound_client(timeout_s=settings.channels_timeout_s)
    pusher = build_pusher(sessions, settings, clock=clock, client=client)
    puller = FeedPuller(
        sessions,
        fetch=partial(fetch, client, max_bytes=settings.channels_ical_max_bytes),
        clock=clock,
        ledger=ledger,
        interval_s=settings.channels_ical_interval_s,
    )
    return ChannelContext(settings=settings, pusher=pusher, puller=puller, client=client)
