# Types of lock.py for CPython callers.
from collections.abc import Callable
from typing import Any, Final

FEEDBACK_MS: Final[int]

class Lock:
    commanded: bool | None
    reported: bool | None
    no_feedback: int
    def __init__(
        self,
        relay: Any,
        report: Callable[[int, Any, int], None],
        now_ms: int,
        active: int = 1,
        sense: Any = None,
        sense_unlocked: int = 1,
        feedback_ms: int = ...,
    ) -> None: ...
    def drive(self, unlocked: bool, now_ms: int) -> None: ...
    def sensed(self) -> bool | None: ...
    def check(self, now_ms: int) -> None: ...
