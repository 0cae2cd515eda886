"""The ARI sender as a process of its own, so pushes never wait for the GIL behind the cloud's
request threads: ``posada channels-sender`` (a service of its own), or a child process the cloud
starts once some OTA channel is active and starts again if it dies."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.channels.context import ChannelContext, build_pusher, sender_mode
from cloud.channels.models import Channel
from cloud.core.clock import Clock, utcnow
from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.http import outbound_client
from cloud.core.periodic import Periodic
from cloud.guests.context import build_guests
from cloud.guests.sealed import attach

if TYPE_CHECKING:
    from cloud.settings import Settings

log = logging.getLogger(__name__)
POOL = {"pool_size": 6, "max_overflow": 4}  # one session per channel sent to at once, and the plan
QUICK = {"options": "-c synchronous_commit=off"}


def serve(settings: Settings, stop: threading.Event | None = None) -> int:
    """Send ARI until SIGTERM/SIGINT (or ``stop``); the cloud has migrated the database."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    postgres = settings.database_url.startswith("postgresql")
    # the engine is the sender's own: none of its commits waits for the disk (see pusher)
    engine = make_engine(settings.database_url, **({**POOL, "connect_args": QUICK} if postgres else {}))
    attach(engine, build_guests(settings.guests).vault)  # channel credentials are sealed
    client = outbound_client(timeout_s=settings.channels.channels_timeout_s)
    pusher = build_pusher(
        make_sessionmaker(engine), settings.channels, clock=utcnow, client=client, quick_engine=postgres
    )
    pusher.start()
    log.info("channel sender: started (%s)", "woken by notifications" if pusher.wake.notified else "polling")
    try:
        while not stop.wait(1.0):
            pass
    finally:
        pusher.stop()
        log.info(
            "channel sender: stopped after %d rounds, %d requests, %.1f s of CPU",
            pusher.rounds,
            pusher.requests,
            time.process_time(),
        )
        client.close()
        engine.dispose()
    return 0


def _child(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    serve(settings)


class SenderProcess:
    """The cloud's worker for the sender process: started when an OTA channel is active, watched."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], *, check_s: float = 5.0) -> None:
        self.settings, self.sessions = settings, sessions
        self.process: BaseProcess | None = None
        self._watch = Periodic(self.check, interval_s=check_s, name="channels-sender-watch")
        self._lock = threading.Lock()

    def start(self) -> None:
        self._watch.start()

    def check(self) -> int:
        """Start (or restart) the process when it is wanted and not running; answers 1 if started."""
        with self._lock:
            if self.process is not None and self.process.is_alive():
                return 0
            if self.process is not None:
                log.warning(
                    "channel sender process ended (exit %s); starting it again", self.process.exitcode
                )
            with self.sessions() as session:
                wanted = session.scalar(
                    select(exists().where(Channel.kind == "ota", Channel.paused.is_(False)))
                )
            if not wanted:
                return 0
            spawn: Any = multiprocessing.get_context("spawn")
            self.process = spawn.Process(
                target=_child, args=(self.settings,), name="posada-channels-sender", daemon=True
            )
            self.process.start()
            return 1

    def stop(self) -> None:
        self._watch.stop()
        with self._lock:
            process, self.process = self.process, None
        if process is not None and process.is_alive():
            process.terminate()
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join(timeout=10)  # gone once stop returns, not merely signalled


def workers(
    settings: Settings, context: ChannelContext, sessions: sessionmaker[Session], *, clock: Clock
) -> list[Any]:
    """The channel manager's background parts, in start order (stopped in reverse: the senders
    first, then the context closes their HTTP client). A cloud on a clock of its own (a test, a
    simulation) keeps the sender in a thread: a process could not share that clock."""
    mode = sender_mode(settings.channels, database_url=settings.database_url)
    if mode == "process" and clock is not utcnow:
        mode = "thread"
    sender: list[Any] = []
    if mode == "process":
        sender.append(SenderProcess(settings, sessions))
    elif mode == "thread":
        sender.append(context.pusher)
    return [context, *sender, context.puller]
