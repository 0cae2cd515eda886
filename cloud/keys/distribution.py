"""Gateways learn the property's public keys whenever they come online."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from cloud.board.models import Gateway
from cloud.commands.outbox import enqueue_command
from cloud.ingest.store import WriteResult
from cloud.keys.commands import key_upsert
from cloud.keys.keyring import GRACE, Keyring
from mqtt.envelope import utcnow

log = logging.getLogger(__name__)


class KeyDistributor:
    """An ingest listener: a gateway that reports ``online`` gets every key it may meet on a card.

    A key that stopped signing is sent with its retirement time (when its last card expired), so a
    gateway that was away during a rotation still refuses cards of a retired key on time.
    """

    def __init__(self, sessions: sessionmaker[Any], keyring: Callable[[], Keyring], *,
                 wake: Callable[[], None] | None = None) -> None:
        self.sessions = sessions
        self.keyring = keyring
        self.wake = wake

    def __call__(self, result: WriteResult) -> None:
        if not result.changed_gateways:
            return
        now = utcnow()
        with self.sessions.begin() as session:
            online = [(g.site, g.floor) for g in session.scalars(select(Gateway)) if g.state == "online"
                      and (g.site, g.floor) in result.changed_gateways]
            if not online:
                return
            keys = [k for k in self.keyring() if _still_valid(k, now)]
            for site, floor in online:
                for key in keys:
                    enqueue_command(session, site=site, floor=floor, type="key.upsert",
                                    data=key_upsert(key, retired_at=_retirement(key)))
        log.info("sent %d signing keys to %s", len(keys), ", ".join(f"{s}/{f}" for s, f in online))
        if self.wake:
            self.wake()


def _still_valid(key: Any, now: datetime) -> bool:
    retirement = _retirement(key)
    return retirement is None or retirement > now


def _retirement(key: Any) -> datetime | None:
    return key.not_after + GRACE if key.not_after is not None else None
