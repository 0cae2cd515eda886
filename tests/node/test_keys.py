"""The node's card key: made once on the node, kept private, signing only within the window
the property key delegated to it."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cloud.keys.delegation import delegate
from cloud.keys.keyring import Keyring, SigningKey
from node import keys

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 3, 22, tzinfo=UTC)
ROOT = SigningKey(1, Ed25519PrivateKey.generate(), NOW - timedelta(days=9))


def test_key_is_made_once_and_readable_by_the_node_only(tmp_path: Path) -> None:
    first = keys.load_or_create(tmp_path)
    again = keys.load_or_create(tmp_path)
    assert keys.public_bytes(first) == keys.public_bytes(again)
    assert stat.S_IMODE((tmp_path / keys.KEY_FILE).stat().st_mode) == 0o600


def test_node_signs_only_within_its_own_delegation(tmp_path: Path) -> None:
    key = keys.load_or_create(tmp_path)
    own = delegate(
        Keyring([ROOT]),
        key_id=0xF001,
        site=7,
        holder="desk-pc",
        public=keys.public_bytes(key),
        now=NOW,
        window=timedelta(days=1),
    )
    assert keys.keyring(key, own, now=NOW + timedelta(hours=1)).signing_key(NOW).key_id == 0xF001
    with pytest.raises(keys.NoDelegation, match="not delegated"):
        keys.keyring(key, None, now=NOW)
    with pytest.raises(keys.NoDelegation, match="ended"):
        keys.keyring(key, own, now=NOW + timedelta(days=1))
    other = delegate(Keyring([ROOT]), key_id=0xF002, site=7, holder="x", public=b"\1" * 32, now=NOW)
    with pytest.raises(keys.NoDelegation, match="another key"):
        keys.keyring(key, other, now=NOW)
