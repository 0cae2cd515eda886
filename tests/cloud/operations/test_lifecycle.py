"""The service-request lifecycle, pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cloud.operations.requests.lifecycle import Move, MoveRefused, State, is_late, step

pytestmark = pytest.mark.unit
T = datetime(2027, 3, 1, 12, tzinfo=UTC)


def test_accepting_assigns_the_actor_and_finishing_keeps_the_assignee() -> None:
    accepted = step(Move.ACCEPT, state=State.NEW, assignee=None, actor="maria")
    assert accepted.after is State.ACCEPTED and accepted.assignee == "maria"
    done = step(Move.FINISH, state=accepted.after, assignee=accepted.assignee, actor="juan")
    assert done.after is State.DONE and done.assignee == "maria"


@pytest.mark.parametrize("move", list(Move))
def test_nothing_moves_a_finished_or_cancelled_request(move: Move) -> None:
    for final in (State.DONE, State.CANCELLED):
        with pytest.raises(MoveRefused):
            step(move, state=final, assignee="x", actor="y")


def test_a_new_request_cannot_be_finished_without_being_taken() -> None:
    with pytest.raises(MoveRefused):
        step(Move.FINISH, state=State.NEW, assignee=None, actor="y")


def test_late_means_open_past_its_promised_time() -> None:
    assert is_late(state=State.ACCEPTED, due_at=T, now=T)
    assert not is_late(state=State.ACCEPTED, due_at=T, now=T - timedelta(seconds=1))
    assert not is_late(state=State.DONE, due_at=T, now=T + timedelta(hours=1))
