"""The background round: runs every interval, survives a failed round, stops when asked."""

from __future__ import annotations

import logging
import threading

import pytest

from cloud.core.periodic import Periodic


def test_a_failed_round_is_logged_and_the_next_one_runs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="cloud.core.periodic")
    rounds: list[int] = []
    third = threading.Event()

    def work() -> int:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("the database is away")
        if len(rounds) == 3:
            third.set()
        return 2

    periodic = Periodic(work, interval_s=0.01, name="test-round", done="did %d things")
    periodic.start()
    try:
        assert third.wait(10), "the rounds after a failure did not run"
    finally:
        periodic.stop()
    after = len(rounds)
    assert not periodic._thread or not periodic._thread.is_alive()
    assert len(rounds) == after  # nothing runs once stopped
    messages = [r.getMessage() for r in caplog.records]
    assert "test-round: a round failed" in messages and "test-round: did 2 things" in messages
