"""``posada provision keys``: first key, then a rotation, printed as gateway commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from provisioning.keys import provision_keys

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def commands(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines() if not line.startswith("#")]


def test_first_run_creates_a_key_and_prints_its_upsert(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert provision_keys(directory=str(tmp_path), now=T0) == 0
    printed = commands(capsys.readouterr().out)
    assert [c["type"] for c in printed] == ["key.upsert"]
    assert (tmp_path / "key-1.pem").exists()


def test_rotation_prints_the_successor_and_the_retirement(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    provision_keys(directory=str(tmp_path), now=T0)
    capsys.readouterr()
    provision_keys(directory=str(tmp_path), rotate_now=True, lead_hours=12, now=T0)
    printed = commands(capsys.readouterr().out)
    assert [(c["type"], c["data"]["key_id"]) for c in printed] == [  # type: ignore[index]
        ("key.upsert", 2), ("key.retire", 1)]


def test_listing_after_rotation_retires_the_old_key_after_its_last_card(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cloud.keys.keyring import GRACE

    provision_keys(directory=str(tmp_path), now=T0)
    provision_keys(directory=str(tmp_path), rotate_now=True, lead_hours=1, now=T0)
    capsys.readouterr()
    provision_keys(directory=str(tmp_path), now=T0 + timedelta(days=1))
    printed = commands(capsys.readouterr().out)
    retire = [c["data"] for c in printed if c["type"] == "key.retire"]
    switch = T0 + timedelta(hours=1)
    assert retire == [{"key_id": 1, "at": (switch + GRACE).isoformat().replace("+00:00", "Z")}]
