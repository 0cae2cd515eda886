"""Keycard format v1: round trip, size limit, strict parsing with precise reasons."""

from __future__ import annotations

import struct
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from mqtt.keycard import (
    ALL_FLOORS,
    HEADER,
    HEADER_BYTES,
    MAX_CARD_BYTES,
    MAX_ROOMS,
    Area,
    Card,
    CardFormatError,
    Kind,
    assemble,
    encode_body,
    format_credential_id,
    parse_card,
    parse_credential_id,
)

T0 = datetime(2026, 10, 20, 14, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()


def guest_card(**changes: object) -> Card:
    base = Card(kind=Kind.GUEST, key_id=7, credential_id=0x0123456789ABCDEF, site=42,
                issued_at=T0, valid_from=T0, valid_until=T0 + timedelta(days=3), sequence=5,
                guest=1, floor=3, areas=Area.POOL | Area.GYM, lift_floors=1 << 3 | 1,
                rooms=(301, 302))
    return replace(base, **changes)  # type: ignore[arg-type]


def signed(card: Card) -> bytes:
    body = encode_body(card)
    return assemble(body, KEY.sign(body))


def reason_of(data: bytes) -> str:
    with pytest.raises(CardFormatError) as info:
        parse_card(data)
    return info.value.reason


def test_card_round_trips_through_bytes() -> None:
    card = guest_card()
    parsed = parse_card(signed(card))
    assert parsed.card == card
    assert parsed.message == encode_body(card)


def test_largest_card_fits_ntag213_within_128_bytes() -> None:
    card = guest_card(rooms=tuple(range(1, MAX_ROOMS + 1)))
    data = signed(card)
    assert len(data) == HEADER_BYTES + 2 * MAX_ROOMS + 64 == 122
    assert len(data) <= MAX_CARD_BYTES <= 144


def test_staff_cards_round_trip() -> None:
    staff = [
        guest_card(kind=Kind.HOUSEKEEPING, guest=0, sequence=0, rooms=(), areas=Area.LAUNDRY),
        guest_card(kind=Kind.MAINTENANCE, guest=0, sequence=0, rooms=(), floor=ALL_FLOORS),
        guest_card(kind=Kind.MASTER, guest=0, sequence=0, rooms=(), floor=ALL_FLOORS),
        guest_card(kind=Kind.EMERGENCY, guest=0, sequence=0, rooms=(), floor=ALL_FLOORS),
        guest_card(kind=Kind.STAFF, guest=0, sequence=0, rooms=(), floor=ALL_FLOORS, areas=Area.STAFF),
    ]
    for card in staff:
        assert parse_card(signed(card)).card == card


def test_truncated_card_is_refused_as_truncated() -> None:
    data = signed(guest_card())
    assert reason_of(data[:10]) == "truncated"
    assert reason_of(data[:-1]) == "truncated"


def test_oversize_card_is_refused_as_oversize() -> None:
    assert reason_of(signed(guest_card()) + b"\0" * 40) == "oversize"


def test_bytes_after_the_signature_are_refused() -> None:
    assert reason_of(signed(guest_card()) + b"\0") == "trailing"


def test_wrong_magic_and_version_are_named() -> None:
    data = bytearray(signed(guest_card()))
    data[0] = 0x51
    assert reason_of(bytes(data)) == "magic"
    data[0], data[1] = 0x50, 2
    assert reason_of(bytes(data)) == "version"


def _header(**fields: int) -> list[int]:
    card = guest_card()
    values = list(HEADER.unpack_from(encode_body(card)))
    names = ["magic", "version", "kind", "key_id", "cred", "site", "issued", "from", "until",
             "seq", "guest", "floor", "areas", "lift", "n"]
    for name, value in fields.items():
        values[names.index(name)] = value
    return values


def _raw(rooms: tuple[int, ...] = (301, 302), **fields: int) -> bytes:
    values = _header(n=len(rooms), **fields)
    return HEADER.pack(*values) + b"".join(struct.pack(">H", r) for r in rooms) + b"\0" * 64


@pytest.mark.parametrize(("rooms", "fields", "reason"), [
    ((301,), {"kind": 9}, "kind"),
    ((301,), {"areas": 1 << 15}, "areas"),
    ((301,), {"until": int(T0.timestamp())}, "window"),
    ((301,), {"issued": int((T0 + timedelta(days=9)).timestamp())}, "window"),
    ((301,), {"from": 0}, "time"),
    ((302, 301), {}, "rooms"),
    ((301, 301), {}, "rooms"),
    ((0,), {}, "rooms"),
    ((301,), {"guest": 0}, "guest"),
    ((301,), {"floor": ALL_FLOORS}, "floor"),
    ((), {"kind": int(Kind.MASTER), "guest": 0, "seq": 0, "floor": 3}, "floor"),
    ((), {"kind": int(Kind.HOUSEKEEPING), "guest": 0, "seq": 0, "floor": ALL_FLOORS}, "floor"),
    ((), {"kind": int(Kind.MAINTENANCE), "guest": 2, "seq": 0}, "guest"),
    ((), {"kind": int(Kind.STAFF), "guest": 0, "seq": 0, "floor": 2}, "floor"),
])
def test_rule_breaking_fields_are_refused_with_their_reason(
        rooms: tuple[int, ...], fields: dict[str, int], reason: str) -> None:
    assert reason_of(_raw(rooms, **fields)) == reason


def test_room_count_above_limit_is_refused() -> None:
    data = bytearray(_raw((301,)))
    data[HEADER_BYTES - 1] = MAX_ROOMS + 1
    assert reason_of(bytes(data)) == "rooms"


def test_encoder_refuses_what_the_parser_would_refuse() -> None:
    with pytest.raises(CardFormatError, match="window"):
        encode_body(guest_card(valid_until=T0))
    with pytest.raises(CardFormatError, match="range"):
        encode_body(guest_card(sequence=70_000))
    with pytest.raises(CardFormatError, match="whole seconds"):
        encode_body(guest_card(valid_from=T0 + timedelta(microseconds=5)))
    with pytest.raises(CardFormatError, match="rooms"):
        encode_body(guest_card(rooms=tuple(range(1, 10))))


def test_non_bytes_input_is_refused() -> None:
    with pytest.raises(CardFormatError) as info:
        parse_card("P1" * 60)  # type: ignore[arg-type]
    assert info.value.reason == "type"


def test_credential_id_text_form_is_strict() -> None:
    assert parse_credential_id(format_credential_id(2**64 - 1)) == 2**64 - 1
    for bad in ("", "0123", "0123456789ABCDEF", "0123456789abcdeg", "0" * 17):
        with pytest.raises(CardFormatError):
            parse_credential_id(bad)


@given(st.binary(max_size=200))
def test_random_bytes_parse_or_fail_with_card_format_error(data: bytes) -> None:
    try:
        parsed = parse_card(data)
    except CardFormatError as exc:
        assert exc.reason
    else:
        assert parsed.message + parsed.signature == data


@given(st.integers(min_value=0, max_value=HEADER_BYTES + 4 + 64 - 1))
def test_every_prefix_of_a_card_is_refused_as_truncated(cut: int) -> None:
    data = signed(guest_card())  # two rooms: 110 bytes
    assert reason_of(data[:cut]) == "truncated"


def test_golden_card_keeps_its_bytes_meaning_and_signature() -> None:
    """The card inside the golden credential.upsert command: format v1 must keep reading it."""
    import base64
    import json
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    golden = Path(__file__).parent / "golden"
    upsert = json.loads((golden / "cmd-credential.upsert.json").read_text())["data"]
    key = json.loads((golden / "cmd-key.upsert.json").read_text())["data"]
    data = base64.urlsafe_b64decode(upsert["card"] + "==")
    parsed = parse_card(data)
    assert len(data) == 108
    assert parsed.card == Card(
        kind=Kind.GUEST, key_id=1, credential_id=0x0190A1B2C3D4E5F6, site=1,
        issued_at=datetime(2026, 10, 24, 15, 0, tzinfo=UTC),
        valid_from=datetime(2026, 10, 24, 15, 0, tzinfo=UTC),
        valid_until=datetime(2026, 10, 26, 11, 0, tzinfo=UTC), sequence=12, guest=1, floor=1,
        areas=Area.POOL | Area.GYM, lift_floors=0b11, rooms=(101,))
    public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(key["public_key"] + "="))
    public.verify(parsed.signature, parsed.message)


@st.composite
def header_like(draw: st.DrawFn) -> bytes:
    """Bytes with the right magic, version and length, and fields near their valid ranges."""
    n = draw(st.integers(0, MAX_ROOMS))
    small = st.integers(0, 3)
    t = st.integers(1, 5) | st.integers(0, 2**32 - 1)
    values = [0x50, 1, draw(st.integers(0, 6)), draw(st.integers(0, 0xFFFF)),
              draw(st.integers(0, 2**64 - 1)), draw(st.integers(0, 0xFFFF)), draw(t), draw(t),
              draw(t), draw(small), draw(small), draw(st.sampled_from([0, 1, 0xFF])),
              draw(st.integers(0, 0x3FF)), draw(st.integers(0, 2**64 - 1)), n]
    rooms = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    return HEADER.pack(*values) + b"".join(struct.pack(">H", r) for r in rooms) + bytes(64)


@settings(max_examples=500)
@given(header_like())
@pytest.mark.slow
def test_whatever_parses_re_encodes_to_the_same_bytes(data: bytes) -> None:
    try:
        parsed = parse_card(data)
    except CardFormatError as exc:
        assert exc.reason in {"kind", "areas", "time", "window", "rooms", "guest", "floor"}
    else:
        assert encode_body(parsed.card) == parsed.message  # one content, one encoding
