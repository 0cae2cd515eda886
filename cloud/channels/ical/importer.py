"""A channel's feed applied to what we sell: one hold per UID, upserted, released when gone.

Each hold goes through the channel reservation path (``channels.bookings``): a new UID books,
changed dates modify (the hold moves), a UID no longer in the feed cancels (the nights are
released), a night sold out meanwhile makes an overbooking. The whole feed is applied in one
transaction: a refused feed or event changes nothing and the last good state stays.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.catalog.models import Property
from cloud.channels import bookings
from cloud.channels.errors import ChannelInvalid
from cloud.channels.ical.feed import FeedError, Hold, read
from cloud.channels.models import Channel, ChannelMapping, ChannelReservation
from cloud.channels.ota.res_messages import ChannelBooking
from cloud.channels.status import note_problem, note_sync
from cloud.core.delivery import DeliveryError
from cloud.core.money import exponent
from cloud.core.nights import local_today
from cloud.reservations.stays.ledger import StayLedger

OPEN = ("booked", "overbooked")


def confirmation(mapping: ChannelMapping, uid: str) -> str:
    """The key of a UID under one feed (UIDs are only unique within a feed)."""
    key = f"{mapping.id}:{uid}"
    return key if len(key) <= 64 else f"{mapping.id}:{hashlib.sha256(uid.encode()).hexdigest()[:48]}"


def import_feed(
    sessions: sessionmaker[Session],
    channel_id: int,
    mapping_id: int,
    *,
    fetch: Callable[[str], bytes],
    now: datetime,
    ledger: StayLedger | None,
) -> bool:
    """Fetch and apply one mapping's feed; False (with the reason noted) when refused."""
    with sessions() as session:
        mapping, prop = session.get(ChannelMapping, mapping_id), None
        if mapping is not None:
            prop = session.get(Property, session.get(Channel, channel_id).property_id)  # type: ignore[union-attr]
        if mapping is None or mapping.import_url is None or prop is None:
            return False
        url, zone = mapping.import_url, prop.timezone
    try:
        holds = read(fetch(url), default_zone=zone)
        with sessions.begin() as session:
            apply_holds(session, channel_id, mapping_id, holds, now=now, ledger=ledger)
            note_sync(session, channel_id, "pull", at=now)
        return True
    except (FeedError, ChannelInvalid, DeliveryError) as exc:
        reason = exc.detail if isinstance(exc, ChannelInvalid) else str(exc)
        with sessions.begin() as session:
            note_problem(session, channel_id, "ical-import", f"{url}: {reason}", at=now)
            note_sync(session, channel_id, "pull", at=now, error=reason)
        return False


def apply_holds(
    session: Session,
    channel_id: int,
    mapping_id: int,
    holds: dict[str, Hold],
    *,
    now: datetime,
    ledger: StayLedger | None,
) -> None:
    channel, mapping = session.get(Channel, channel_id), session.get(ChannelMapping, mapping_id)
    assert channel is not None and mapping is not None
    prop = session.get(Property, channel.property_id)
    assert prop is not None
    today = local_today(now, prop.timezone)
    known = {
        r.confirmation: r
        for r in session.scalars(
            select(ChannelReservation).where(
                ChannelReservation.channel_id == channel.id,
                ChannelReservation.confirmation.like(f"{mapping.id}:%"),
            )
        )
    }
    seen = set()
    for hold in sorted(holds.values(), key=lambda h: (h.arrival, h.uid)):
        if hold.departure <= today:
            continue  # over: nothing to hold
        key = confirmation(mapping, hold.uid)
        seen.add(key)
        found = known.get(key)
        if found is not None and found.status in OPEN and _unchanged(found, hold, today):
            continue
        action = "book" if found is None else "modify"
        if found is not None and found.status not in OPEN:
            continue  # cancelled here before; a UID is not reused
        bookings.apply(
            session, channel, _fact(channel, mapping, prop, hold, key, action, today), now=now, ledger=ledger
        )
    for key, found in known.items():
        if key not in seen and found.status in OPEN and found.departure > today:
            bookings.apply(
                session,
                channel,
                ChannelBooking(action="cancel", confirmation=key, hotel_code=channel.hotel_code),
                now=now,
                ledger=ledger,
            )


def _unchanged(found: ChannelReservation, hold: Hold, today: date) -> bool:
    same_start = found.arrival == hold.arrival or (hold.arrival < today and found.arrival <= today)
    return same_start and found.departure == hold.departure


def _fact(
    channel: Channel, mapping: ChannelMapping, prop: Property, hold: Hold, key: str, action: str, today: date
) -> ChannelBooking:
    return ChannelBooking(
        action=action,
        confirmation=key,
        hotel_code=channel.hotel_code,
        room_code=mapping.room_code,
        rate_code=mapping.rate_code,
        arrival=max(hold.arrival, today),
        departure=hold.departure,
        total=Decimal(0).scaleb(-exponent(prop.currency)),
        currency=prop.currency,
        guest_name=f"{channel.name}: {hold.summary or 'hold'}"[:200],
    )
