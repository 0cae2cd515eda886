"""Enqueue commands for a floor's gateway inside the caller's transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cloud.commands.models import Command
from mqtt.envelope import new_id, utcnow
from mqtt.messages import COMMAND_MODELS, Data
from mqtt.topics import check_slug


def enqueue_command(
    session: Session, *, site: str, floor: str, type: str, data: Data
) -> str:
    """Store a command; the publisher sends it (QoS 1) until the gateway acks it. Returns its id."""
    check_slug(site, "site")
    check_slug(floor, "floor")
    model = COMMAND_MODELS.get(type)
    if model is None or not isinstance(data, model):
        raise ValueError(f"{type!r} is not a command of the contract for this data")
    command = Command(
        id=new_id(), site=site, floor=floor, type=type,
        data=data.model_dump(mode="json", exclude_none=True), created_at=utcnow(), attempts=0,
    )
    session.add(command)
    return command.id
