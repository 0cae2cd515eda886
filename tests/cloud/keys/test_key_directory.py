"""Key files on disk: created private, reloaded with their windows, bad files named."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cloud.keys.errors import KeyFileError
from cloud.keys.storage import KeyDirectory

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_demo_start_creates_one_private_key_and_reloads_it(tmp_path: Path) -> None:
    keys = KeyDirectory(tmp_path / "keys")
    ring = keys.load_or_create(now=T0)
    pem = tmp_path / "keys" / "key-1.pem"
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    again = KeyDirectory(tmp_path / "keys").load_or_create(now=T0 + timedelta(days=1))
    assert [k.public_bytes() for k in again] == [k.public_bytes() for k in ring]


def test_rotation_keeps_both_keys_with_their_windows(tmp_path: Path) -> None:
    keys = KeyDirectory(tmp_path)
    keys.create(key_id=1, not_before=T0)
    keys.set_window(key_id=1, not_before=T0, not_after=T0 + timedelta(days=30))
    keys.create(key_id=2, not_before=T0 + timedelta(days=29))
    ring = keys.load()
    assert ring.signing_key(T0 + timedelta(days=10)).key_id == 1
    assert ring.signing_key(T0 + timedelta(days=29, hours=1)).key_id == 2


def test_existing_key_file_is_never_overwritten(tmp_path: Path) -> None:
    keys = KeyDirectory(tmp_path)
    keys.create(key_id=1, not_before=T0)
    with pytest.raises(KeyFileError, match="already exists"):
        keys.create(key_id=1, not_before=T0)


def test_corrupt_or_foreign_key_files_are_named(tmp_path: Path) -> None:
    keys = KeyDirectory(tmp_path)
    keys.create(key_id=1, not_before=T0)
    (tmp_path / "key-1.pem").write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n")
    with pytest.raises(KeyFileError, match=r"key-1\.pem"):
        keys.load()


def test_metadata_for_another_key_id_is_refused(tmp_path: Path) -> None:
    keys = KeyDirectory(tmp_path)
    keys.create(key_id=1, not_before=T0)
    (tmp_path / "key-1.json").write_text('{"key_id": 2, "not_before": "2026-01-01T00:00:00+00:00",'
                                         ' "not_after": null}')
    with pytest.raises(KeyFileError, match="does not match"):
        keys.load()


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="does not exist"):
        KeyDirectory(tmp_path / "nope").load()
