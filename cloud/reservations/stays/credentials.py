"""Keycards for stays: issued at check-in, sent to the floor's gateway, revoked at the end.

The card itself is signed by a ``CredentialIssuer`` (the keycard issuer of ``cloud/keys``);
commands to gateways are enqueued in the caller's transaction, so they leave only if it commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.roles import Principal
from cloud.catalog.models import Floor, Property, Room
from cloud.commands.outbox import enqueue_command
from cloud.reservations.errors import WrongState
from cloud.reservations.models import Reservation, StayCredential
from mqtt.keycard import format_credential_id
from mqtt.messages import CredentialRevoke, CredentialUpsert, RoomSettings

Actor = Principal | str
SYSTEM = "system:stays"


@dataclass(frozen=True)
class KeyRequest:
    """A guest card for one room; numbers are those written on the card and known to the doors."""

    credential_id: str  # 16 lowercase hex digits
    site: str
    site_number: int
    floor: str
    floor_number: int
    room: str
    room_number: int
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime
    sequence: int  # per room and rising: a newer card supersedes every older one of the room
    guest: int = 1  # 1..255: copies for companions share the sequence


class CredentialIssuer(Protocol):
    def issue(self, request: KeyRequest) -> str:
        """The signed card, base64url-encoded, as ``credential.upsert`` carries it."""
        ...


def _where(session: Session, room_id: int) -> tuple[Property, Floor, Room]:
    room = session.get(Room, room_id)
    assert room is not None
    floor, prop = session.get(Floor, room.floor_id), session.get(Property, room.property_id)
    assert floor is not None and prop is not None
    return prop, floor, room


def issue_for_room(
    session: Session,
    issuer: CredentialIssuer,
    *,
    res: Reservation,
    room_id: int,
    valid_from: datetime,
    valid_until: datetime,
    now: datetime,
    actor: Actor = SYSTEM,
    companions: bool = False,
) -> StayCredential:
    """Sign guest 1's card with a new sequence for the room (older cards of the room stop at its
    first use), record it, and send it to the floor's gateway; the stay's earlier cards of the
    room are revoked. ``companions``: each other guest who held a live card gets one of the new
    sequence too (one per guest number), so a re-key leaves nobody of the stay locked out."""
    earlier = _active(session, res.id, room_id)
    last = session.scalar(select(func.max(StayCredential.sequence)).where(StayCredential.room_id == room_id))
    credential = _issue(
        session, issuer, res=res, room_id=room_id, sequence=(last or 0) + 1, guest=1, starts=True,
        valid_from=valid_from, valid_until=valid_until, now=now, actor=actor,
    )
    for old in earlier:
        _revoke(session, old, now=now, actor=actor)
    for guest in sorted({old.guest for old in earlier if old.guest != 1} if companions else ()):
        _issue(
            session, issuer, res=res, room_id=room_id, sequence=credential.sequence, guest=guest,
            starts=False, valid_from=valid_from, valid_until=valid_until, now=now, actor=actor,
        )
    room_settings(session, room_id=room_id, checkout_at=valid_until, occupied=True)
    return credential


def add_card(
    session: Session,
    issuer: CredentialIssuer,
    *,
    res: Reservation,
    room_id: int,
    guest: int,
    now: datetime,
    actor: Actor,
) -> StayCredential:
    """Another card of the stay's current sequence for the room: a companion's (guest n) or a
    copy or a replacement (same guest number). Sharing the sequence leaves the other cards of
    the stay opening; a lost card is cancelled by its own revocation instead."""
    start = session.scalars(
        select(StayCredential).where(
            StayCredential.reservation_id == res.id, StayCredential.room_id == room_id,
            StayCredential.starts_sequence.is_(True),
        ).order_by(StayCredential.sequence.desc()).limit(1)
    ).first()
    highest = session.scalar(
        select(func.max(StayCredential.sequence)).where(StayCredential.room_id == room_id)
    )
    if start is None or start.sequence != highest:
        raise WrongState("the room has no current card of this stay; check in or re-key first")
    return _issue(
        session, issuer, res=res, room_id=room_id, sequence=start.sequence, guest=guest, starts=False,
        valid_from=now, valid_until=start.valid_until, now=now, actor=actor,
    )


def _issue(
    session: Session,
    issuer: CredentialIssuer,
    *,
    res: Reservation,
    room_id: int,
    sequence: int,
    guest: int,
    starts: bool,
    valid_from: datetime,
    valid_until: datetime,
    now: datetime,
    actor: Actor,
) -> StayCredential:
    prop, floor, room = _where(session, room_id)
    request = KeyRequest(
        credential_id=format_credential_id(secrets.randbits(64) or 1), site=prop.slug,
        site_number=prop.number, floor=floor.slug, floor_number=floor.level, room=room.slug,
        room_number=room.number, valid_from=valid_from, valid_until=valid_until, issued_at=now,
        sequence=sequence, guest=guest,
    )
    card = issuer.issue(request)
    credential = StayCredential(
        id=request.credential_id,
        reservation_id=res.id,
        room_id=room_id,
        issued_at=now,
        valid_until=valid_until,
        sequence=request.sequence,
        guest=guest,
        starts_sequence=starts,
        pending_card=card,  # kept only until the desk has written it to a tag
    )
    session.add(credential)
    session.flush()
    enqueue_command(
        session,
        site=prop.slug,
        floor=floor.slug,
        type="credential.upsert",
        data=CredentialUpsert(
            credential_id=credential.id, card=card, rooms=[room.slug], valid_until=valid_until
        ),
    )
    audit(session, actor, "card.issue", "card", credential.id,
          {"reservation": res.id, "room": room.slug, "guest": guest, "sequence": sequence}, site=prop.slug)
    return credential


def record_node_card(
    session: Session,
    *,
    res: Reservation,
    room_id: int,
    credential_id: str,
    sequence: int,
    guest: int,
    valid_until: datetime,
    encoded_at: datetime,
    actor: Actor,
    uid: str | None = None,
) -> StayCredential:
    """A card a property node signed with its delegated key and wrote to a tag while the cloud was
    out of reach, recorded as the stay's credential (as ``issue_for_room`` records its own), so
    check-out revokes it and the door log names its stay. The doors already hold it: nothing is
    sent. Its sequence supersedes the stay's earlier cards of the room, which are revoked; a
    sequence the cloud also started meanwhile is shared, not started twice. ``uid`` is the tag's
    UID as the node's encoder read it back (None from a node without one). Once per id."""
    found = session.get(StayCredential, credential_id)
    if found is not None:
        return found
    prop, _floor, room = _where(session, room_id)
    started = session.scalar(
        select(StayCredential.id).where(
            StayCredential.room_id == room_id,
            StayCredential.sequence == sequence,
            StayCredential.starts_sequence.is_(True),
        )
    )
    earlier = [c for c in _active(session, res.id, room_id) if c.sequence < sequence]
    credential = StayCredential(
        id=credential_id,
        reservation_id=res.id,
        room_id=room_id,
        issued_at=encoded_at,
        valid_until=valid_until,
        sequence=sequence,
        guest=guest,
        starts_sequence=started is None and sequence > 0,
        pending_card=None,
        encoded_at=encoded_at,
        encoded_uid=uid,
    )
    session.add(credential)
    session.flush()
    for old in earlier:
        _revoke(session, old, now=encoded_at, actor=actor)
    audit(session, actor, "card.issue", "card", credential.id,
          {"reservation": res.id, "room": room.slug, "guest": guest, "sequence": sequence, "uid": uid},
          site=prop.slug)
    return credential


def room_settings(
    session: Session,
    *,
    room_id: int,
    checkout_at: datetime | None = None,
    occupied: bool | None = None,
    housekeeping: str | None = None,
) -> None:
    prop, floor, room = _where(session, room_id)
    enqueue_command(
        session,
        site=prop.slug,
        floor=floor.slug,
        type="room.settings",
        data=RoomSettings.model_validate(
            {
                "room": room.slug,
                "checkout_at": checkout_at,
                "occupied": occupied,
                "housekeeping": housekeeping,
            }
        ),
    )


def _active(session: Session, reservation_id: str, room_id: int | None = None) -> list[StayCredential]:
    query = select(StayCredential).where(
        StayCredential.reservation_id == reservation_id, StayCredential.revoked_at.is_(None)
    )
    if room_id is not None:
        query = query.where(StayCredential.room_id == room_id)
    return list(session.scalars(query.order_by(StayCredential.issued_at)))


def revoke_one(session: Session, credential: StayCredential, *, now: datetime, actor: Actor) -> None:
    """Cancel one card (lost, or handed back); the stay's other cards keep opening."""
    if credential.revoked_at is not None:
        return
    _revoke(session, credential, now=now, actor=actor)


def _revoke(session: Session, credential: StayCredential, *, now: datetime, actor: Actor) -> None:
    prop, floor, room = _where(session, credential.room_id)
    credential.revoked_at, credential.pending_card = now, None
    audit(session, actor, "card.revoke", "card", credential.id,
          {"reservation": credential.reservation_id, "room": room.slug, "guest": credential.guest},
          site=prop.slug)
    enqueue_command(
        session,
        site=prop.slug,
        floor=floor.slug,
        type="credential.revoke",
        data=CredentialRevoke(credential_id=credential.id, until=credential.valid_until),
    )


def revoke_all(session: Session, res: Reservation, *, now: datetime, actor: Actor = SYSTEM) -> list[int]:
    """Revoke every live card of a stay; returns the rooms they opened."""
    rooms = []
    for credential in _active(session, res.id):
        _revoke(session, credential, now=now, actor=actor)
        rooms.append(credential.room_id)
    return rooms
