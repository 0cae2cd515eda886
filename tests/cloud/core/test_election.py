"""One worker process of several runs the parts that must run once: the first to take the lock."""

from __future__ import annotations

from pathlib import Path

from cloud.core.election import Leadership


def test_only_the_first_holder_leads_until_it_lets_go(tmp_path: Path) -> None:
    first = Leadership("postgresql://db/posada", directory=str(tmp_path))
    second = Leadership("postgresql://db/posada", directory=str(tmp_path))
    assert first.acquire()
    assert first.acquire()  # held already
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_each_database_has_its_own_leader(tmp_path: Path) -> None:
    one = Leadership("postgresql://db/one", directory=str(tmp_path))
    other = Leadership("postgresql://db/other", directory=str(tmp_path))
    assert one.acquire() and other.acquire()
    one.release()
    other.release()
