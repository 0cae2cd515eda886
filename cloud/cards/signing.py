"""Signed keycards: check the request, pick the key, compute the checkout instant, and the
gateway commands that announce or revoke a card (``credential.upsert``, ``credential.revoke``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cloud.keys.commands import b64url
from cloud.keys.errors import IssueError
from cloud.keys.keyring import GRACE, Keyring
from mqtt.keycard import (
    ALL_FLOORS,
    NO_AREAS,
    Area,
    Card,
    CardFormatError,
    Kind,
    assemble,
    encode_body,
)
from mqtt.messages import CredentialRevoke, CredentialUpsert


def local_instant(day: date, at: time, *, zone: str) -> datetime:
    """The UTC instant of a local wall time in ``zone``, DST-safe.

    A wall time that happens twice (clocks go back) resolves to the later one, so a guest
    never loses the hour; one that never happens (clocks go forward) moves forward by the gap.
    """
    tz = _zone(zone)
    wall = datetime.combine(day, at)
    first, second = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall:
        return second.astimezone(UTC)  # an ordinary time (both folds agree) or the later of two
    return first.astimezone(UTC)  # in a gap, fold=0 lands after the transition by the gap


def checkout_instant(departure: date, *, checkout: time, zone: str) -> datetime:
    """When a stay's cards stop opening: the checkout hour on the departure day, local time."""
    return local_instant(departure, checkout, zone=zone)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise IssueError("zone", f"unknown time zone {name[:64]!r}") from exc


@dataclass(frozen=True, slots=True)
class CardRequest:
    """What the front desk asks for; instants are aware and are truncated to seconds."""

    kind: Kind
    credential_id: int
    site: int
    valid_from: datetime
    valid_until: datetime
    sequence: int = 0
    guest: int = 0
    floor: int = ALL_FLOORS
    areas: Area = NO_AREAS
    lift_floors: frozenset[int] = field(default_factory=frozenset)
    rooms: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class IssuedCard:
    card: Card
    data: bytes  # what is written to the tag


def issue(request: CardRequest, *, keyring: Keyring, now: datetime) -> IssuedCard:
    """Sign a card with the key that covers ``now``; raises IssueError or NoSigningKey."""
    if now.tzinfo is None:
        raise IssueError("time", "now must be an aware datetime")
    key = keyring.signing_key(now)
    if any(not 0 <= f < 64 for f in request.lift_floors):
        raise IssueError("lift_floors", "lift floors must be within 0..63")
    issued_at = _whole(now)
    card = Card(
        kind=request.kind, key_id=key.key_id, credential_id=request.credential_id,
        site=request.site, issued_at=issued_at,
        valid_from=_whole(request.valid_from),
        valid_until=_ceil(request.valid_until), sequence=request.sequence, guest=request.guest,
        floor=request.floor, areas=request.areas,
        lift_floors=sum(1 << f for f in request.lift_floors), rooms=tuple(sorted(request.rooms)),
    )
    if key.not_after is not None and card.valid_until > key.not_after + GRACE:
        raise IssueError("window", f"card outlives key {key.key_id} by more than {GRACE}")
    try:
        body = encode_body(card)
    except CardFormatError as exc:
        raise IssueError(exc.reason, exc.detail) from None
    return IssuedCard(card=card, data=assemble(body, key.sign(body)))




def _whole(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise IssueError("time", "instants must be aware datetimes")
    return at.astimezone(UTC).replace(microsecond=0)


def _ceil(at: datetime) -> datetime:
    whole = _whole(at)
    return whole + timedelta(seconds=1) if at.microsecond else whole


def credential_upsert(issued: IssuedCard, *, rooms: list[str]) -> CredentialUpsert:
    """Announce a new card so the floor cancels older cards of its rooms at once."""
    return CredentialUpsert(credential_id=issued.card.credential_ref, card=b64url(issued.data),
                            rooms=rooms, valid_until=issued.card.valid_until)


def credential_revoke(issued: IssuedCard) -> CredentialRevoke:
    """Revoke a card; gateways may forget the revocation once the card has expired."""
    return CredentialRevoke(credential_id=issued.card.credential_ref,
                            until=issued.card.valid_until)
