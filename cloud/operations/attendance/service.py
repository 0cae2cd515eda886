"""Staff cards (signed, kind staff, areas by role), punches from the time clocks, the weekly report.

A punch the gateway accepted from a card the cloud had already revoked (the floor was offline and
had not heard) is stored refused as ``revoked``: it never counts as hours."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from cloud.auth.models import StaffUser
from cloud.cards.signing import CardRequest
from cloud.catalog.models import Floor
from cloud.commands.outbox import enqueue_command
from cloud.operations.attendance.hours import PersonWeek, Punch, week
from cloud.operations.attendance.models import StaffCard, StaffPunch
from cloud.operations.errors import OperationConflict, UnknownThing
from cloud.operations.facilities.door_pass import PassSigner
from cloud.operations.requests.service import property_of
from mqtt.keycard import ALL_FLOORS, Area, Kind, format_credential_id
from mqtt.messages import CredentialRevoke

AREAS_BY_ROLE = {
    "housekeeping": Area.STAFF | Area.LAUNDRY,
    "maintenance": Area.STAFF | Area.PARKING,
    "front_desk": Area.STAFF | Area.ENTRANCE,
    "manager": Area.STAFF | Area.ENTRANCE | Area.PARKING,
}
CARD_DAYS = 90


def issue_card(
    session: Session, *, site: str, username: str, shift_start: time, signer: PassSigner, now: datetime
) -> StaffCard:
    prop = property_of(session, site)
    user = session.scalar(select(StaffUser).where(StaffUser.username == username, StaffUser.site == site))
    if user is None or user.role not in AREAS_BY_ROLE:
        raise UnknownThing(f"no staff member {username!r} at {site} who clocks in")
    areas = AREAS_BY_ROLE[user.role]
    request = CardRequest(
        kind=Kind.STAFF,
        credential_id=secrets.randbits(63) or 1,
        site=prop.number,
        valid_from=now,
        valid_until=now + timedelta(days=CARD_DAYS),
        floor=ALL_FLOORS,
        areas=areas,
    )
    row = StaffCard(
        credential_id=format_credential_id(request.credential_id),
        site=site,
        username=username,
        role=user.role,
        areas=int(areas),
        shift_start=shift_start,
        issued_at=now,
        valid_until=request.valid_until,
        revoked_at=None,
        card=signer.sign(request, now=now),
    )
    session.add(row)
    session.flush()
    return row


def revoke_card(session: Session, *, site: str, credential_id: str, now: datetime) -> StaffCard:
    """Revoked at once in the cloud, and on every floor's gateway through the command outbox."""
    row = session.get(StaffCard, credential_id)
    if row is None or row.site != site:
        raise UnknownThing(f"no staff card {credential_id} at {site}")
    if row.revoked_at is not None:
        raise OperationConflict("this staff card is already revoked")
    row.revoked_at = now
    prop = property_of(session, site)
    for floor in session.scalars(select(Floor.slug).where(Floor.property_id == prop.id)):
        enqueue_command(
            session,
            site=site,
            floor=floor,
            type="credential.revoke",
            data=CredentialRevoke(credential_id=credential_id, until=row.valid_until),
        )
    session.flush()
    return row


def record_punches(session: Session, events: list[dict[str, Any]]) -> int:
    """Store ``staff.punch`` events (ingest hook); a card revoked before the punch is refused."""
    stored = 0
    for event in events:
        if event.get("type") != "staff.punch":
            continue
        data, at = event.get("data") or {}, event["ts"]
        at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        credential = str(data.get("credential_id") or "")[:64]
        card = session.get(StaffCard, credential) if credential else None
        accepted, reason = bool(data.get("accepted")), str(data.get("reason", ""))[:64]
        revoked = card is not None and card.revoked_at is not None and card.revoked_at <= at
        if accepted and (card is None or revoked):
            accepted, reason = False, "revoked" if revoked else "unknown_card"
        session.merge(
            StaffPunch(
                id=event["id"],
                site=event["site"],
                clock=str(data.get("door") or "")[:63],
                credential_id=credential,
                username=card.username if card else None,
                at=at,
                accepted=accepted,
                reason=reason,
            )
        )
        stored += 1
    session.flush()
    return stored


def punch_hook(conn: Connection, events: list[dict[str, Any]]) -> None:
    """Inside the ingest transaction that stores the events: punches are kept with them or not at all."""
    if any(e.get("type") == "staff.punch" for e in events):
        with Session(bind=conn) as session:
            record_punches(session, events)


def week_report(session: Session, *, site: str, monday: datetime) -> list[PersonWeek]:
    """Hours, late days and missing punches of every person who punched that week (local time)."""
    zone = ZoneInfo(property_of(session, site).timezone)
    start = monday.replace(tzinfo=zone)
    rows = session.scalars(
        select(StaffPunch).where(
            StaffPunch.site == site,
            StaffPunch.accepted,
            StaffPunch.at >= start,
            StaffPunch.at < start + timedelta(days=7),
        )
    )
    punches = [Punch(r.username or r.credential_id, r.at.astimezone(zone)) for r in rows]
    starts = {
        c.username: c.shift_start for c in session.scalars(select(StaffCard).where(StaffCard.site == site))
    }
    return week(punches, shift_starts=starts)


def report_csv(rows: list[PersonWeek]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["person", "minutes", "hours", "late_days", "missing_punch_days"])
    for r in rows:
        writer.writerow(
            [
                r.person,
                r.minutes,
                r.hours,
                " ".join(d.isoformat() for d in r.late),
                " ".join(d.isoformat() for d in r.missing),
            ]
        )
    return out.getvalue()
