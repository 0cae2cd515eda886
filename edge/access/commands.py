"""Apply the cloud's access commands to the local state, once per command id, all or nothing."""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge.access.decision import verify
from edge.access.delegation import accept_delegation
from edge.access.errors import CommandRejected
from edge.access.ports import AppliedCommand, BookedSlot, CommandState, PublicKey, StoredCredential
from mqtt.access_messages import FacilitySlot, KeyDelegate, KeyRetire, KeyUpsert
from mqtt.keycard import Area, CardFormatError, Kind, SignedCard, parse_card, parse_credential_id
from mqtt.messages import CredentialRevoke, CredentialUpsert, Data

log = logging.getLogger(__name__)

_B64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")
ACCESS_COMMANDS = ("credential.upsert", "credential.revoke", "key.upsert", "key.retire",
                   "key.delegate", "facility.slot")


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    ok: bool
    error: str = ""
    duplicate: bool = False  # seen before: the stored outcome is repeated, nothing changes


def apply_command(command_id: str, type_: str, *, data: Data, state: CommandState,
                  now: datetime) -> CommandOutcome:
    """Apply one command; a repeated id changes nothing and repeats the first outcome.

    A command that cannot be applied (bad card, unknown key) is recorded as failed with its
    reason, so the cloud gets the same answer on redelivery; storage errors propagate and
    leave no partial state.
    """
    previous = state.applied(command_id)
    if previous is not None:
        return CommandOutcome(previous.ok, previous.error, duplicate=True)
    handler = _HANDLERS.get(type_)
    if handler is None:
        raise ValueError(f"{type_!r} is not an access command")
    with state.atomic():
        try:
            handler(data, state, now)
            outcome = CommandOutcome(True)
        except CommandRejected as exc:
            log.warning("command %s (%s) rejected: %s", command_id, type_, exc)
            outcome = CommandOutcome(False, str(exc)[:512])
        state.record_applied(AppliedCommand(command_id, type_, outcome.ok, outcome.error), at=now)
    return outcome


def _credential_upsert(data: Data, state: CommandState, now: datetime) -> None:
    assert isinstance(data, CredentialUpsert)
    signed = _parse_signed(_b64(data.card, "card"))
    card = signed.card
    if card.credential_ref != data.credential_id:
        raise CommandRejected("credential_id",
                              f"command names {data.credential_id}, card is {card.credential_ref}")
    key = state.public_key(card.key_id)
    if key is None:  # the key is on its way (a gateway may hear of a card before its key)
        if not state.park(card.credential_ref, key_id=card.key_id, valid_until=card.valid_until,
                          card=signed.message + signed.signature):
            raise CommandRejected("unknown_key", f"card signed with unknown key {card.key_id}")
        log.info("card %s held until key %d arrives", card.credential_ref, card.key_id)
        return
    _store_credential(signed, key.public, state)


def _store_credential(signed: SignedCard, public: bytes, state: CommandState) -> None:
    card = signed.card
    if not verify(signed, public):
        raise CommandRejected("bad_signature", f"card does not verify with key {card.key_id}")
    state.put_credential(StoredCredential(
        credential_id=card.credential_ref, kind=card.kind.name.lower(), key_id=card.key_id,
        floor=card.floor, rooms=card.rooms, sequence=card.sequence, guest=card.guest,
        valid_until=card.valid_until, card=signed.message + signed.signature,
    ))
    if card.kind is Kind.GUEST and card.rooms:
        state.raise_sequence(card.rooms, card.sequence)  # older cards stop at once


def _credential_revoke(data: Data, state: CommandState, now: datetime) -> None:
    assert isinstance(data, CredentialRevoke)
    try:
        parse_credential_id(data.credential_id)
    except CardFormatError as exc:
        raise CommandRejected(exc.reason, exc.detail) from None
    state.revoke(data.credential_id, until=data.until, at=now)


def _key_upsert(data: Data, state: CommandState, now: datetime) -> None:
    assert isinstance(data, KeyUpsert)
    public = _b64(data.public_key, "public_key")
    try:
        Ed25519PublicKey.from_public_bytes(public)
    except ValueError as exc:
        raise CommandRejected("public_key", f"not an Ed25519 public key: {exc}") from None
    existing = state.public_key(data.key_id)
    if existing is not None and (existing.public != public or existing.delegated):
        raise CommandRejected("key_conflict", f"key id {data.key_id} already has another key")
    state.put_key(PublicKey(data.key_id, public, data.retired_at))
    _unpark(data.key_id, public, state)


def _key_delegate(data: Data, state: CommandState, now: datetime) -> None:
    assert isinstance(data, KeyDelegate)
    key = accept_delegation(data, keys=state, now=now)
    state.put_key(key)
    _unpark(key.key_id, key.public, state)


def _unpark(key_id: int, public: bytes, state: CommandState) -> None:
    for raw in state.unpark(key_id):  # cards that came before their key
        try:
            _store_credential(parse_card(raw), public, state)
        except (CardFormatError, CommandRejected) as exc:
            log.warning("held card dropped on the arrival of key %d: %s", key_id, exc)


def _key_retire(data: Data, state: CommandState, now: datetime) -> None:
    assert isinstance(data, KeyRetire)
    existing = state.public_key(data.key_id)
    if existing is None:
        raise CommandRejected("unknown_key", f"no key with id {data.key_id}")
    state.put_key(PublicKey(data.key_id, existing.public, data.at, parent=existing.parent,
                            valid_from=existing.valid_from, valid_until=existing.valid_until))


def _facility_slot(data: Data, state: CommandState, now: datetime) -> None:
    """Book (or take back) a slot: the stay's own cards open the area's door within it."""
    assert isinstance(data, FacilitySlot)
    if data.cancelled:
        state.drop_slot(data.booking_id)
        return
    state.put_slot(BookedSlot(booking_id=data.booking_id, area=int(Area[data.area.upper()]), floor=data.floor,
                              room=data.room, start=data.start, end=data.end))


def _parse_signed(raw: bytes) -> SignedCard:
    try:
        return parse_card(raw)
    except CardFormatError as exc:
        raise CommandRejected("malformed", str(exc)) from None


def _b64(text: str, what: str) -> bytes:
    if not _B64URL.fullmatch(text):
        raise CommandRejected(what, "not base64url (A-Z a-z 0-9 - _, optional = padding)")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise CommandRejected(what, f"not base64url: {exc}") from None


_HANDLERS: dict[str, Callable[[Data, CommandState, datetime], None]] = {
    "credential.upsert": _credential_upsert,
    "credential.revoke": _credential_revoke,
    "key.upsert": _key_upsert,
    "key.retire": _key_retire,
    "key.delegate": _key_delegate,
    "facility.slot": _facility_slot,
}
