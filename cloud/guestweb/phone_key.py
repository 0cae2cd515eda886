"""The phone key: the same Ed25519-signed credential a keycard carries, issued as one more card of
the stay's current sequence and handed to the guest's phone instead of a tag.

The gateway receives it by the same ``credential.upsert`` and verifies it offline exactly as a
card (the door node's QR or NFC reader hands over the same bytes); the desk sees it among the
stay's cards and revokes it like one; checking out revokes it with the rest.
"""

from __future__ import annotations

import base64
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.cards import stay_cards
from cloud.guestweb.models import PhoneKey
from cloud.reservations.models import Reservation, StayCredential
from cloud.reservations.stays.credentials import CredentialIssuer

ACTOR = "guest:phone"
NDEF_TYPE = b"application/vnd.posada.key"  # MIME type of the NFC record


def current(session: Session, res: Reservation, *, now: datetime) -> StayCredential | None:
    """The stay's live phone key, if one was issued and not revoked or expired."""
    return session.scalars(
        select(StayCredential).join(PhoneKey, PhoneKey.credential_id == StayCredential.id).where(
            PhoneKey.reservation_id == res.id, StayCredential.revoked_at.is_(None),
            StayCredential.valid_until > now, StayCredential.pending_card.is_not(None),
        ).order_by(StayCredential.issued_at.desc())).first()


def issue(session: Session, issuer: CredentialIssuer, *, res: Reservation, now: datetime) -> StayCredential:
    """The live phone key, or a new one (only while the stay is checked in)."""
    found = current(session, res, now=now)
    if found is not None:
        return found
    card = stay_cards.issue(session, issuer, res=res, guest=1, actor=ACTOR, now=now)
    session.add(PhoneKey(credential_id=card.id, reservation_id=res.id, issued_at=now))
    session.flush()
    return card


def card_bytes(card: StayCredential) -> bytes:
    assert card.pending_card is not None
    text = card.pending_card
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ndef_record(payload: bytes) -> bytes:
    """One NDEF record (MIME media type) carrying the card bytes, for a phone's NFC emulation."""
    flags = 0x80 | 0x40 | 0x02  # message begin, message end, TNF 2 (media type)
    if len(payload) < 256:
        return bytes([flags | 0x10, len(NDEF_TYPE), len(payload)]) + NDEF_TYPE + payload
    return bytes([flags, len(NDEF_TYPE)]) + len(payload).to_bytes(4, "big") + NDEF_TYPE + payload
