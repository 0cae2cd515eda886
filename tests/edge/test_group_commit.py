"""Group commit: a waiter returns only after a sync that began after its commit."""

from __future__ import annotations

import threading
import time

import pytest

from edge.group_commit import GroupCommit

pytestmark = pytest.mark.unit


def test_a_ticket_waits_for_a_sync_that_began_after_its_commit() -> None:
    started: list[int] = []
    group: GroupCommit

    def sync() -> None:
        started.append(group._committed)

    group = GroupCommit(sync)
    first = group.committed()
    group.wait(first)
    second, third = group.committed(), group.committed()
    group.wait(third)
    group.wait(second)  # covered by the sync that third ran
    assert started == [1, 3] and group.syncs == 2 and group.pending == 0


def test_a_failed_sync_marks_nothing_durable_and_the_next_waiter_retries() -> None:
    calls: list[str] = []

    def sync() -> None:
        calls.append("sync")
        if len(calls) == 1:
            raise OSError("disk")

    group = GroupCommit(sync)
    ticket = group.committed()
    with pytest.raises(OSError):
        group.wait(ticket)
    assert group.pending == 1
    group.wait(ticket)
    assert calls == ["sync", "sync"] and group.pending == 0


def test_concurrent_writers_share_syncs() -> None:
    group = GroupCommit(lambda: time.sleep(0.002))
    lock = threading.Lock()
    late: list[int] = []

    def writer() -> None:
        for _ in range(50):
            with lock:  # the store's lock: tickets in commit order
                ticket = group.committed()
            group.wait(ticket)
            if group._synced < ticket:
                late.append(ticket)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not late and group.pending == 0
    assert group.syncs < 400 / 3
