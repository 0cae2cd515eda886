"""A property's channels and their mappings: create, change, pause, revoke the secret."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.catalog import service as catalog
from cloud.catalog.errors import UnknownResource
from cloud.catalog.models import Property
from cloud.channels.errors import ChannelConflict, ChannelInvalid, UnknownChannel
from cloud.channels.models import Channel, ChannelMapping

CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
CHANNEL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewChannel:
    code: str
    name: str
    kind: str
    markup_bp: int = 0
    hotel_code: str = ""
    endpoint_url: str | None = None
    calls_per_minute: int = 20
    credentials: dict[str, str] | None = None  # Credentials.stored()
    commission_bp: int = 0  # basis points of the room revenue the channel keeps (reports' P&L)


def create(session: Session, prop: Property, spec: NewChannel, *, now: datetime) -> tuple[Channel, str]:
    """A new channel and its secret (shown once: feed URLs and inbound calls carry it)."""
    if not CODE.match(spec.code):
        raise ChannelInvalid("a channel code is 1-32 lower-case letters, digits, '-' or '_'")
    if spec.kind == "ota" and not spec.hotel_code:
        raise ChannelInvalid("an OTA channel needs the hotel code the channel knows us by")
    if not 0 <= spec.commission_bp <= 10_000:
        raise ChannelInvalid("a commission is 0 to 10000 basis points of the room revenue")
    secret = secrets.token_urlsafe(32)
    channel = Channel(
        property_id=prop.id,
        code=spec.code,
        name=spec.name,
        kind=spec.kind,
        markup_bp=spec.markup_bp,
        paused=False,
        hotel_code=spec.hotel_code,
        endpoint_url=spec.endpoint_url,
        secret_hash=secret_hash(secret),
        calls_per_minute=spec.calls_per_minute,
        credentials=spec.credentials or None,
        commission_bp=spec.commission_bp,
        created_at=now,
    )
    _insert(session, channel, f"the property already has a channel {spec.code!r}")
    return channel, secret


def get(session: Session, prop: Property, code: str, *, lock: bool = False) -> Channel:
    query = select(Channel).where(Channel.property_id == prop.id, Channel.code == code)
    found = session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise UnknownChannel(f"no channel {code!r} at {prop.slug}")
    return found


def by_secret(session: Session, secret: str) -> Channel:
    """The channel whose secret this is (a revoked secret finds none)."""
    found = session.scalar(select(Channel).where(Channel.secret_hash == secret_hash(secret)))
    if found is None or not secrets.compare_digest(found.secret_hash, secret_hash(secret)):
        raise UnknownChannel("no channel has this secret (revoked, or never issued)")
    return found


def of_property(session: Session, prop: Property) -> list[Channel]:
    return list(session.scalars(select(Channel).where(Channel.property_id == prop.id).order_by(Channel.code)))


def rotate_secret(channel: Channel) -> str:
    """A new secret; the old one (and every URL made with it) stops working at once."""
    secret = secrets.token_urlsafe(32)
    channel.secret_hash = secret_hash(secret)
    return secret


def set_mapping(
    session: Session,
    channel: Channel,
    *,
    room_type: str,
    rate_plan: str,
    room_code: str,
    rate_code: str,
    import_url: str | None = None,
    occupancy_bp: dict[str, int] | None = None,
) -> ChannelMapping:
    """Map our type and plan to the channel's codes (replacing that pair's mapping)."""
    if not CHANNEL_CODE.match(room_code) or not CHANNEL_CODE.match(rate_code):
        raise ChannelInvalid("channel codes are 1-64 letters, digits or '_.:-'")
    if import_url is not None and not import_url.startswith(("https://", "http://")):
        raise ChannelInvalid("an import feed is an http(s) URL")
    prop = session.get(Property, channel.property_id)
    assert prop is not None
    try:
        type_, plan = catalog.room_type(session, prop, room_type), catalog.rate_plan(session, prop, rate_plan)
    except UnknownResource as exc:
        raise ChannelInvalid(exc.detail) from exc
    session.execute(
        delete(ChannelMapping).where(
            ChannelMapping.channel_id == channel.id,
            ChannelMapping.room_type_id == type_.id,
            ChannelMapping.rate_plan_id == plan.id,
        )
    )
    mapping = ChannelMapping(
        channel_id=channel.id,
        room_type_id=type_.id,
        rate_plan_id=plan.id,
        room_code=room_code,
        rate_code=rate_code,
        import_url=import_url,
        occupancy_bp=occupancy_bp or None,
    )
    _insert(session, mapping, f"{room_code}/{rate_code} is already mapped at this channel")
    return mapping


def mappings(session: Session, channel_id: int) -> list[ChannelMapping]:
    return list(
        session.scalars(
            select(ChannelMapping).where(ChannelMapping.channel_id == channel_id).order_by(ChannelMapping.id)
        )
    )


def remove_mapping(session: Session, channel: Channel, mapping_id: int) -> None:
    gone = session.execute(
        delete(ChannelMapping).where(ChannelMapping.channel_id == channel.id, ChannelMapping.id == mapping_id)
    )
    if not gone.rowcount:  # type: ignore[attr-defined]
        raise UnknownChannel(f"no mapping {mapping_id} at channel {channel.code!r}")


def _insert(session: Session, row: object, duplicate: str) -> None:
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise ChannelConflict(duplicate) from exc


def get_by_id(session: Session, channel_id: int) -> Channel:
    found = session.get(Channel, channel_id)
    if found is None:
        raise UnknownChannel(f"no channel {channel_id}")
    return found
