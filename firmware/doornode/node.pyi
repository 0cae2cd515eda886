# Types of node.py for CPython callers (the gateway's simulated twin).
from collections.abc import Callable
from typing import Any, Final, Protocol, overload, type_check_only

from .allowlist import Allowlist
from .frame import Decoder, ReplyCache
from .lock import Lock

REREAD_MS: Final[int]
DEBOUNCE_MS: Final[int]
QUIET_MS: Final[int]

@type_check_only
class Uart(Protocol):
    def any(self) -> int: ...
    def read(self, size: int, /) -> bytes | None: ...
    def write(self, data: bytes, /) -> int | None: ...

@type_check_only
class Pin(Protocol):
    @overload
    def value(self) -> int: ...
    @overload
    def value(self, x: Any, /) -> None: ...

@type_check_only
class Reader(Protocol):
    def read(self) -> bytes | None: ...

class DoorNode:
    address: int
    allowlist: Allowlist
    decoder: Decoder
    replies: ReplyCache
    queue: list[list[Any]]
    pending: list[Any] | None
    last_cmd: int | None
    last_step: int
    dropped: int
    bad_cards: int
    event_id: int
    lockd: Lock
    def __init__(
        self,
        uart: Uart,
        lock: Pin,
        contact: Pin,
        reader: Reader,
        address: int,
        battery: Callable[[], int | None] | None = None,
        de: Pin | None = None,
        now_ms: int = 0,
        lock_active: int = 1,
        open_level: int = 1,
        local_unlock_ms: int = 5000,
        link_timeout_ms: int = 2000,
        decision_timeout_ms: int = 500,
        allowlist_size: int = 16,
        queue_size: int = 8,
        status_every_ms: int = 60000,
        reread_ms: int = ...,
        first_event_id: int | None = None,
        lock_sense: Pin | None = None,
        sense_unlocked: int = 1,
        handle: Pin | None = None,
        handle_level: int = 0,
        feedback_ms: int = ...,
    ) -> None: ...
    def step(self, now_ms: int) -> None: ...
    def link_up(self, now_ms: int) -> bool: ...
    def unlocked(self) -> bool: ...
    def unlock(self, unlock_ms: int, now_ms: int) -> None: ...
