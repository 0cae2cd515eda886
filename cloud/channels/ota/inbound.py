"""Reservations a channel POSTs to us: parsed strictly, stored in one transaction, then answered.

The answer (OTA_HotelResNotifRS with our ids) is written only after the commit, so the channel
never hears "stored" for something that is not. A refusal stores nothing of the document; its
reason is logged, kept for the channel page, and sent back in the RS Errors (with its
OpenTravel error code where one applies, e.g. 322 when not every room of a reservation is free).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from itertools import groupby

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.tax import TaxPolicy
from cloud.catalog.models import Property
from cloud.channels import bookings, registry
from cloud.channels.errors import ChannelInvalid, UnknownChannel
from cloud.channels.ota import res_messages
from cloud.channels.ota.xml import XmlRefused, parse, serialize
from cloud.channels.status import note_problem, note_sync
from cloud.core.clock import Clock
from cloud.reservations.sales.guest_match import GuestMatcher
from cloud.reservations.stays.ledger import StayLedger

log = logging.getLogger(__name__)
TRIES = 3  # a deadlock or a concurrent first delivery of the same confirmation: try again


def receive(
    sessions: sessionmaker[Session],
    *,
    secret: str,
    body: bytes,
    clock: Clock,
    ledger: StayLedger | None,
    matcher: GuestMatcher | None = None,
    taxes: Callable[[Session, Property], TaxPolicy] | None = None,
) -> tuple[int, bytes]:
    """(HTTP status, body) for one reservation document from the channel holding ``secret``."""
    with sessions() as session:
        try:
            channel_id = registry.by_secret(session, secret).id
        except UnknownChannel:
            return 401, b"unknown channel secret"
    try:
        doc = res_messages.read(parse(body, expect=res_messages.ROOTS))
    except XmlRefused as exc:
        _refused(sessions, channel_id, str(exc), clock())
        return 400, str(exc).encode()
    for attempt in range(TRIES):
        now = clock()
        try:
            ours = _store(sessions, channel_id, doc, now=now, ledger=ledger, matcher=matcher, taxes=taxes)
        except ChannelInvalid as exc:
            _refused(sessions, channel_id, exc.detail, now)
            code = exc.extra.get("ota_code")
            return 200, serialize(res_messages.response(doc, now=now, errors=[(exc.detail, code)]))
        except (IntegrityError, OperationalError) as exc:
            if attempt == TRIES - 1:
                raise
            log.info("channel %s: reservation document retried after %s", channel_id, type(exc).__name__)
            continue
        return 200, serialize(res_messages.response(doc, now=now, ours=ours))
    raise AssertionError("unreachable")


def _store(
    sessions: sessionmaker[Session],
    channel_id: int,
    doc: res_messages.Document,
    *,
    now: datetime,
    ledger: StayLedger | None,
    matcher: GuestMatcher | None,
    taxes: Callable[[Session, Property], TaxPolicy] | None,
) -> list[tuple[str, list[str]]]:
    """Every reservation of the document, all its rooms, in one transaction: all or nothing."""
    with sessions.begin() as session:
        channel = registry.get_by_id(session, channel_id)
        ours = []
        for confirmation, facts in groupby(doc.bookings, key=lambda fact: fact.confirmation):
            rows = bookings.apply_reservation(
                session, channel, list(facts), now=now, ledger=ledger, matcher=matcher, taxes=taxes
            )
            ours.append((confirmation, [row.reservation_id or f"overbooking-{row.id}" for row in rows]))
        note_sync(session, channel_id, "inbound", at=now)
    return ours


def _refused(sessions: sessionmaker[Session], channel_id: int, reason: str, now: datetime) -> None:
    with sessions.begin() as session:
        note_problem(session, channel_id, "ota-reservation", reason, at=now)
        note_sync(session, channel_id, "inbound", at=now, error=reason)
