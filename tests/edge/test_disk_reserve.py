"""A full disk: the reserve is released once and the write tried again; other errors pass through."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edge.disk_reserve import DiskReserve
from edge.store import Store


def _disk_full() -> sqlite3.OperationalError:
    """A real SQLITE_FULL, from a database held to one page more than it has."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (x BLOB)")
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    try:
        db.execute("INSERT INTO t VALUES (zeroblob(100000))")
    except sqlite3.OperationalError as exc:
        return exc
    raise AssertionError("no SQLITE_FULL")


def test_a_full_disk_releases_the_reserve_and_the_write_succeeds_the_second_time(tmp_path: Path) -> None:
    reserve = DiskReserve(tmp_path / "reserve", size=4096)
    assert (tmp_path / "reserve").stat().st_size == 4096
    attempts: list[int] = []

    def write() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise _disk_full()
        return "written"

    assert reserve.retry_when_full(write) == "written"
    assert not (tmp_path / "reserve").exists() and reserve.released == 1
    with pytest.raises(sqlite3.OperationalError):  # no reserve left: the error reaches the caller
        reserve.retry_when_full(lambda: (_ for _ in ()).throw(_disk_full()))


def test_other_database_errors_keep_the_reserve(tmp_path: Path) -> None:
    reserve = DiskReserve(tmp_path / "reserve", size=4096)
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        reserve.retry_when_full(lambda: sqlite3.connect(":memory:").execute("SELECT * FROM nowhere"))
    assert (tmp_path / "reserve").exists()


def test_the_store_keeps_a_reserve_beside_its_database(tmp_path: Path) -> None:
    store = Store(tmp_path / "gw.db", reserve_bytes=4096)
    assert store.reserve.path == tmp_path / "gw.db.reserve" and store.reserve.path.stat().st_size == 4096
    store.close()
    assert not Store(tmp_path / "other.db").reserve.path.exists()  # none unless asked for
