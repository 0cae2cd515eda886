"""What the channel page shows: last sync per direction, problems refused from a channel."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.channels.models import ChannelProblem, ChannelSync

log = logging.getLogger(__name__)


def note_sync(
    session: Session, channel_id: int, direction: str, *, at: datetime, error: str | None = None
) -> None:
    """A success (or a failure, with its error) of a channel in one direction."""
    row = session.get(ChannelSync, (channel_id, direction))
    if row is None:
        row = ChannelSync(channel_id=channel_id, direction=direction, last_error="")
        session.add(row)
    if error is None:
        row.last_ok_at = at
    else:
        row.last_error_at, row.last_error = at, error[:1000]


def note_syncs(session: Session, outcomes: dict[int, str | None], direction: str, *, at: datetime) -> None:
    """Many channels' outcomes (None: success, else the error) in one read and one write."""
    found = {
        row.channel_id: row
        for row in session.scalars(
            select(ChannelSync).where(
                ChannelSync.channel_id.in_(outcomes), ChannelSync.direction == direction
            )
        )
    }
    for channel_id, error in outcomes.items():
        row = found.get(channel_id)
        if row is None:
            row = ChannelSync(channel_id=channel_id, direction=direction, last_error="")
            session.add(row)
        if error is None:
            row.last_ok_at = at
        else:
            row.last_error_at, row.last_error = at, error[:1000]


def note_problem(session: Session, channel_id: int, source: str, reason: str, *, at: datetime) -> None:
    """A refusal, logged and kept for the channel page."""
    log.warning("channel %s: %s refused: %s", channel_id, source, reason)
    session.add(ChannelProblem(channel_id=channel_id, at=at, source=source, reason=reason[:2000]))
