"""Keycard format v1: a compact signed credential that fits an NTAG213 (see docs/card-format.md).

Pure encoding and strict parsing only; signing and verification (Ed25519) live with the
issuer (cloud) and the access core (edge). The encoding is canonical: one content has one
byte string, so a signature covers exactly what the parser reads.
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum, IntFlag

MAGIC = 0x50  # "P"
VERSION = 1
SIGNATURE_BYTES = 64
MAX_CARD_BYTES = 128
MAX_ROOMS = 8
ALL_FLOORS = 0xFF
HEADER = struct.Struct(">BBBHQHIIIHBBHQB")
HEADER_BYTES = HEADER.size  # 42
MIN_CARD_BYTES = HEADER_BYTES + SIGNATURE_BYTES
MAX_U32 = 0xFFFF_FFFF


class Kind(IntEnum):
    GUEST = 1
    HOUSEKEEPING = 2
    MAINTENANCE = 3
    MASTER = 4
    EMERGENCY = 5
    STAFF = 6  # back-of-house staff: area doors and time clocks, never a room door


class Area(IntFlag):
    """Common areas a card may open; the bit positions are part of the format."""

    POOL = 1 << 0
    GYM = 1 << 1
    SPA = 1 << 2
    PARKING = 1 << 3
    ENTRANCE = 1 << 4  # the street door after hours
    LOUNGE = 1 << 5
    BUSINESS_CENTRE = 1 << 6
    LAUNDRY = 1 << 7
    STAFF = 1 << 8  # back-of-house corridors and stores


KNOWN_AREAS = int(sum(a.value for a in Area))
NO_AREAS = Area(0)


class CardFormatError(ValueError):
    """Bytes that are not a well-formed card. ``reason`` is a short counter key."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Card:
    """The signed content of a keycard. Instants are aware UTC, whole seconds."""

    kind: Kind
    key_id: int
    credential_id: int
    site: int
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime
    sequence: int = 0
    guest: int = 0
    floor: int = ALL_FLOORS
    areas: Area = NO_AREAS
    lift_floors: int = 0
    rooms: tuple[int, ...] = field(default=())

    @property
    def credential_ref(self) -> str:
        """The text form of the credential id used in MQTT commands and events."""
        return format_credential_id(self.credential_id)

    def lift_allows(self, floor: int) -> bool:
        return 0 <= floor < 64 and bool(self.lift_floors >> floor & 1)


@dataclass(frozen=True, slots=True)
class SignedCard:
    card: Card
    message: bytes  # the signed bytes (everything before the signature)
    signature: bytes


def format_credential_id(value: int) -> str:
    return f"{value:016x}"


def parse_credential_id(text: str) -> int:
    """Inverse of format_credential_id; raises CardFormatError for anything else."""
    if len(text) != 16 or any(c not in "0123456789abcdef" for c in text):
        raise CardFormatError("credential_id", f"{text[:40]!r} is not 16 lowercase hex digits")
    return int(text, 16)


def encode_body(card: Card) -> bytes:
    """The bytes to sign. Raises CardFormatError if the card breaks a rule of the format."""
    _check_ranges(card)
    header = HEADER.pack(
        MAGIC, VERSION, int(card.kind), card.key_id, card.credential_id, card.site,
        _seconds(card.issued_at, "issued_at"), _seconds(card.valid_from, "valid_from"),
        _seconds(card.valid_until, "valid_until"), card.sequence, card.guest, card.floor,
        int(card.areas), card.lift_floors, len(card.rooms),
    )
    body = header + b"".join(r.to_bytes(2, "big") for r in card.rooms)
    _check_rules(_unpack(body))  # the same rules the parser applies: no card we can't read
    return body


def assemble(body: bytes, signature: bytes) -> bytes:
    if len(signature) != SIGNATURE_BYTES:
        raise CardFormatError("signature", f"{len(signature)} bytes, need {SIGNATURE_BYTES}")
    return body + signature


def parse_card(data: bytes) -> SignedCard:
    """Strictly parse card bytes (signature not checked here)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CardFormatError("type", f"card must be bytes, not {type(data).__name__}")
    data = bytes(data)
    if len(data) > MAX_CARD_BYTES:
        raise CardFormatError("oversize", f"{len(data)} bytes > {MAX_CARD_BYTES}")
    if len(data) < MIN_CARD_BYTES:
        raise CardFormatError("truncated", f"{len(data)} bytes < minimum {MIN_CARD_BYTES}")
    if data[0] != MAGIC:
        raise CardFormatError("magic", f"first byte 0x{data[0]:02x}, expected 0x{MAGIC:02x}")
    if data[1] != VERSION:
        raise CardFormatError("version", f"format version {data[1]} is not supported")
    n_rooms = data[HEADER_BYTES - 1]
    if n_rooms > MAX_ROOMS:
        raise CardFormatError("rooms", f"room count {n_rooms} > {MAX_ROOMS}")
    expected = HEADER_BYTES + 2 * n_rooms + SIGNATURE_BYTES
    if len(data) < expected:
        raise CardFormatError("truncated", f"{len(data)} bytes, {n_rooms} rooms need {expected}")
    if len(data) > expected:
        raise CardFormatError("trailing", f"{len(data) - expected} bytes after the signature")
    body = data[: expected - SIGNATURE_BYTES]
    card = _check_rules(_unpack(body))
    return SignedCard(card=card, message=body, signature=data[expected - SIGNATURE_BYTES:])


@dataclass(frozen=True, slots=True)
class _Raw:
    fields: tuple[int, ...]
    rooms: tuple[int, ...]


def _unpack(body: bytes) -> _Raw:
    if len(body) < HEADER_BYTES:
        raise CardFormatError("truncated", f"body of {len(body)} bytes < {HEADER_BYTES}")
    fields = HEADER.unpack_from(body)
    n = fields[-1]
    rooms = tuple(int.from_bytes(body[i:i + 2], "big")
                  for i in range(HEADER_BYTES, HEADER_BYTES + 2 * n, 2))
    if len(body) != HEADER_BYTES + 2 * n or len(rooms) != n:
        raise CardFormatError("truncated", f"body of {len(body)} bytes for {n} rooms")
    return _Raw(fields, rooms)


def _check_rules(raw: _Raw) -> Card:
    (_, _, kind_b, key_id, cred, site, issued, v_from, v_until, seq, guest, floor, areas,
     lift, n) = raw.fields
    try:
        kind = Kind(kind_b)
    except ValueError:
        raise CardFormatError("kind", f"unknown card kind {kind_b}") from None
    if areas & ~KNOWN_AREAS:
        raise CardFormatError("areas", f"reserved area bits set: 0x{areas & ~KNOWN_AREAS:04x}")
    _check_times(issued, v_from, v_until)
    _check_rooms(raw.rooms, n)
    _check_scope(kind, floor=floor, rooms=raw.rooms, guest=guest, sequence=seq)
    return Card(
        kind=kind, key_id=key_id, credential_id=cred, site=site,
        issued_at=_instant(issued), valid_from=_instant(v_from), valid_until=_instant(v_until),
        sequence=seq, guest=guest, floor=floor, areas=Area(areas), lift_floors=lift,
        rooms=raw.rooms,
    )


def _check_times(issued: int, v_from: int, v_until: int) -> None:
    if 0 in (issued, v_from, v_until):
        raise CardFormatError("time", "issued_at, valid_from and valid_until must be non-zero")
    if v_until <= v_from:
        raise CardFormatError("window", f"valid_until {v_until} is not after valid_from {v_from}")
    if issued >= v_until:
        raise CardFormatError("window", f"issued_at {issued} is not before valid_until {v_until}")


def _check_rooms(rooms: tuple[int, ...], n: int) -> None:
    if n > MAX_ROOMS:
        raise CardFormatError("rooms", f"room count {n} > {MAX_ROOMS}")
    if any(r == 0 for r in rooms):
        raise CardFormatError("rooms", "room number 0 is not a room")
    if any(a >= b for a, b in itertools.pairwise(rooms)):
        raise CardFormatError("rooms", "room numbers must be strictly ascending")


def _check_scope(kind: Kind, *, floor: int, rooms: tuple[int, ...], guest: int,
                 sequence: int) -> None:
    if kind is Kind.GUEST:
        if guest == 0 or sequence == 0:
            raise CardFormatError("guest", "a guest card needs guest number and sequence >= 1")
        if rooms and floor == ALL_FLOORS:
            raise CardFormatError("floor", "a guest card's rooms need one floor")
        return
    if guest or sequence:
        raise CardFormatError("guest", f"a {kind.name.lower()} card has no guest or sequence")
    if kind is Kind.HOUSEKEEPING and floor == ALL_FLOORS:
        raise CardFormatError("floor", "a housekeeping card is scoped to one floor")
    if kind in (Kind.MASTER, Kind.EMERGENCY) and (floor != ALL_FLOORS or rooms):
        raise CardFormatError("floor", f"a {kind.name.lower()} card opens all floors, no rooms")
    if kind is Kind.STAFF and (floor != ALL_FLOORS or rooms):
        raise CardFormatError("floor", "a staff card opens no room: all floors, no rooms")
    if kind is Kind.MAINTENANCE and rooms and floor == ALL_FLOORS:
        raise CardFormatError("floor", "a maintenance card's rooms need one floor")


def _check_ranges(card: Card) -> None:
    limits = (("key_id", card.key_id, 0xFFFF), ("credential_id", card.credential_id, 2**64 - 1),
              ("site", card.site, 0xFFFF), ("sequence", card.sequence, 0xFFFF),
              ("guest", card.guest, 0xFF), ("floor", card.floor, 0xFF),
              ("lift_floors", card.lift_floors, 2**64 - 1))
    for name, value, top in limits:
        if not 0 <= value <= top:
            raise CardFormatError("range", f"{name} {value} outside 0..{top}")
    if len(card.rooms) > MAX_ROOMS:
        raise CardFormatError("rooms", f"{len(card.rooms)} rooms > {MAX_ROOMS}")
    if any(not 0 <= r <= 0xFFFF for r in card.rooms):
        raise CardFormatError("range", "room numbers must be within 0..65535")


def _seconds(at: datetime, name: str) -> int:
    if at.tzinfo is None:
        raise CardFormatError("time", f"{name} must be an aware datetime")
    if at.microsecond:
        raise CardFormatError("time", f"{name} must be whole seconds")
    value = int(at.timestamp())
    if not 0 < value <= MAX_U32:
        raise CardFormatError("time", f"{name} {at.isoformat()} outside the format's range")
    return value


def _instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
