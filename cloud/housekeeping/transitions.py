"""Which housekeeping action a staff member may take on a room, and what state it asks for.

Pure rules, no I/O. The states are the contract's (``mqtt.messages.RoomState.housekeeping``):
a vacated room turns ``dirty`` on its gateway; housekeeping starts cleaning (``in_progress``)
and marks it ``clean``; a manager inspects it (``inspected``). ``out_of_order`` is left to
maintenance and the desk, never changed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from cloud.auth.roles import Role

Action = Literal["start", "clean", "inspect"]
State = Literal["clean", "dirty", "inspected", "in_progress", "out_of_order"]  # as in RoomState
ACTIONS: tuple[Action, ...] = get_args(Action)
TARGET: dict[Action, State] = {"start": "in_progress", "clean": "clean", "inspect": "inspected"}
FROM: dict[Action, frozenset[str]] = {
    "start": frozenset({"dirty"}),
    "clean": frozenset({"dirty", "in_progress"}),
    "inspect": frozenset({"clean"}),
}
CLEANERS = frozenset({Role.HOUSEKEEPING, Role.MANAGER, Role.CHAIN_ADMIN})
SUPERVISORS = frozenset({Role.MANAGER, Role.CHAIN_ADMIN})
MAY: dict[Action, frozenset[Role]] = {"start": CLEANERS, "clean": CLEANERS, "inspect": SUPERVISORS}
VIEWERS = frozenset({Role.HOUSEKEEPING, Role.FRONT_DESK, Role.MANAGER, Role.CHAIN_ADMIN})


class ActionRefused(Exception):
    """The action does not apply to the room as it is now (a 409 for the caller).

    ``reason`` is ``state`` (not a state the action applies to) or ``dnd`` (do not disturb).
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Change:
    action: Action
    before: str
    after: State


def parse_action(raw: object) -> Action:
    """The action named by a form value; anything else is refused with a clear message."""
    for action in ACTIONS:
        if raw == action:
            return action
    raise ValueError(f"unknown housekeeping action {str(raw)[:40]!r}; expected one of {', '.join(ACTIONS)}")


def actions_for(role: Role) -> list[Action]:
    return [a for a in ACTIONS if role in MAY[a]]


def decide(action: Action, *, role: Role, current: str, dnd: bool) -> Change:
    """The change ``action`` makes to a room in housekeeping state ``current``.

    Raises ``PermissionError`` for a role that may not take it, ``ActionRefused`` when the
    room is not in a state the action applies to, or is marked do-not-disturb (start only).
    """
    if role not in MAY[action]:
        raise PermissionError(f"the {role.value} role may not {action} a room")
    if current not in FROM[action]:
        raise ActionRefused(f"room is {current}; {action} applies to {', '.join(sorted(FROM[action]))}",
                            reason="state")
    if action == "start" and dnd:
        raise ActionRefused("room is marked do not disturb", reason="dnd")
    return Change(action, current, TARGET[action])
