"""Issuing cards: key choice during rotation, checkout instants across DST, refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cloud.cards.signing import CardRequest, checkout_instant, issue, local_instant
from cloud.keys.errors import IssueError, KeyFileError, NoSigningKey
from cloud.keys.keyring import Keyring, SigningKey
from mqtt.keycard import Area, Kind, parse_card

T0 = datetime(2026, 10, 20, 14, 0, 30, 250_000, tzinfo=UTC)


def key(key_id: int, start: datetime, end: datetime | None = None) -> SigningKey:
    return SigningKey(key_id, Ed25519PrivateKey.generate(), start, end)


def request(**changes: object) -> CardRequest:
    fields: dict[str, object] = dict(
        kind=Kind.GUEST, credential_id=99, site=1, valid_from=T0,
        valid_until=T0 + timedelta(days=2), sequence=3, guest=1, floor=2,
        areas=Area.POOL, lift_floors=frozenset({0, 2}), rooms=(205, 204),
    )
    fields.update(changes)
    return CardRequest(**fields)  # type: ignore[arg-type]


def test_issued_card_verifies_with_the_signing_public_key() -> None:
    k = key(1, T0 - timedelta(days=1))
    issued = issue(request(), keyring=Keyring([k]), now=T0)
    parsed = parse_card(issued.data)
    Ed25519PublicKey.from_public_bytes(k.public_bytes()).verify(parsed.signature, parsed.message)
    assert parsed.card.rooms == (204, 205)
    assert parsed.card.issued_at == T0.replace(microsecond=0)
    assert parsed.card.lift_floors == 0b101
    assert parsed.card.key_id == 1


def test_newest_covering_key_signs_during_rotation() -> None:
    old = key(1, T0 - timedelta(days=400), T0 + timedelta(days=30))
    new = key(2, T0 - timedelta(days=1))
    ring = Keyring([new, old])
    assert issue(request(), keyring=ring, now=T0).card.key_id == 2
    assert issue(request(), keyring=ring, now=T0 - timedelta(days=10)).card.key_id == 1


def test_no_key_covering_now_refuses_to_issue() -> None:
    ring = Keyring([key(1, T0 + timedelta(days=1))])
    with pytest.raises(NoSigningKey):
        issue(request(), keyring=ring, now=T0)


def test_card_may_not_outlive_its_key_by_more_than_the_grace() -> None:
    ring = Keyring([key(1, T0 - timedelta(days=1), T0 + timedelta(days=1))])
    with pytest.raises(IssueError) as info:
        issue(request(valid_until=T0 + timedelta(days=90)), keyring=ring, now=T0)
    assert info.value.reason == "window"


def test_invalid_requests_are_refused_with_the_format_reason() -> None:
    ring = Keyring([key(1, T0 - timedelta(days=1))])
    with pytest.raises(IssueError) as info:
        issue(request(guest=0), keyring=ring, now=T0)
    assert info.value.reason == "guest"
    with pytest.raises(IssueError):
        issue(request(lift_floors=frozenset({64})), keyring=ring, now=T0)


def test_duplicate_key_ids_and_bad_windows_are_refused() -> None:
    with pytest.raises(KeyFileError):
        Keyring([key(1, T0), key(1, T0)])
    with pytest.raises(KeyFileError):
        key(2, T0, T0)


def test_checkout_on_madrid_fall_back_day_is_in_winter_time() -> None:
    # 2026-10-25 is the last Sunday of October: Madrid goes from CEST (+2) to CET (+1).
    noon = time(12, 0)
    assert checkout_instant(date(2026, 10, 24), checkout=noon, zone="Europe/Madrid") == \
        datetime(2026, 10, 24, 10, 0, tzinfo=UTC)
    assert checkout_instant(date(2026, 10, 25), checkout=noon, zone="Europe/Madrid") == \
        datetime(2026, 10, 25, 11, 0, tzinfo=UTC)


def test_repeated_wall_time_resolves_to_the_later_instant() -> None:
    # 02:30 happens twice on 2026-10-25 in Madrid; the guest keeps the later one.
    assert local_instant(date(2026, 10, 25), time(2, 30), zone="Europe/Madrid") == \
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_missing_wall_time_moves_forward_by_the_gap() -> None:
    # 02:30 never happens on 2026-03-29 in Madrid (02:00 CET -> 03:00 CEST): it means 03:30.
    assert local_instant(date(2026, 3, 29), time(2, 30), zone="Europe/Madrid") == \
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_unknown_zone_is_refused() -> None:
    with pytest.raises(IssueError) as info:
        checkout_instant(date(2026, 1, 1), checkout=time(11), zone="Mars/Olympus")
    assert info.value.reason == "zone"
