"""The life of a service request, pure: which move is allowed from which state, and lateness.

new -> accepted -> in_progress -> done; new, accepted and in_progress may be cancelled. A move
names the staff member who takes the request (accept) or who does it; done and cancelled are final.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class State(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class Move(StrEnum):
    ACCEPT = "accept"
    START = "start"
    FINISH = "finish"
    CANCEL = "cancel"


DEPARTMENTS = ("housekeeping", "food", "transport", "laundry", "maintenance", "concierge")
OPEN_STATES = frozenset({State.NEW, State.ACCEPTED, State.IN_PROGRESS})
_MOVES: dict[Move, tuple[frozenset[State], State]] = {
    Move.ACCEPT: (frozenset({State.NEW}), State.ACCEPTED),
    Move.START: (frozenset({State.NEW, State.ACCEPTED}), State.IN_PROGRESS),
    Move.FINISH: (frozenset({State.ACCEPTED, State.IN_PROGRESS}), State.DONE),
    Move.CANCEL: (OPEN_STATES, State.CANCELLED),
}


class MoveRefused(ValueError):
    """The move is not allowed from the request's state."""

    def __init__(self, move: Move, state: State) -> None:
        super().__init__(f"a request that is {state.value} cannot be {move.value}ed")
        self.move, self.state = move, state


@dataclass(frozen=True, slots=True)
class Step:
    after: State
    assignee: str | None  # who holds the request afterwards


def step(move: Move, *, state: State, assignee: str | None, actor: str) -> Step:
    """The state after ``move``; accepting or starting an unassigned request assigns the actor."""
    allowed, after = _MOVES[move]
    if state not in allowed:
        raise MoveRefused(move, state)
    if move in (Move.ACCEPT, Move.START) and not assignee:
        assignee = actor
    return Step(after=after, assignee=assignee)


def is_late(*, state: State, due_at: datetime, now: datetime) -> bool:
    """Still open when its promised time has passed."""
    return state in OPEN_STATES and now >= due_at


def charged_on(move: Move) -> bool:
    """The price goes to the folio when the request is delivered, never before."""
    return move is Move.FINISH
