"""Room kept back on the gateway's disk for the moment it fills up.

A full disk must not stop a door from deciding or lose the event of a tap: the store sets aside a
file of ``RESERVE_BYTES`` when it opens; the first write that SQLite refuses for want of space
releases it (logged as an error) and is tried once more, and the reserve is made again at the next
start. What fills the disk is the operator's to find; the reserve buys the time to do it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)
RESERVE_BYTES = 8 << 20
T = TypeVar("T")


class DiskReserve:
    def __init__(self, path: Path, *, size: int = RESERVE_BYTES) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.released = 0
        if size <= 0:  # no reserve wanted
            return
        try:
            if not path.exists() or path.stat().st_size < size:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
                try:
                    os.posix_fallocate(fd, 0, size)
                finally:
                    os.close(fd)
        except OSError as exc:  # a disk already full at start: no reserve this time
            log.error("no disk reserve at %s: %s", path, exc)
            path.unlink(missing_ok=True)

    def release(self, exc: BaseException) -> bool:
        """Free the reserve when ``exc`` says the disk is full; True when a retry may succeed."""
        if not (isinstance(exc, sqlite3.OperationalError) and exc.sqlite_errorcode == sqlite3.SQLITE_FULL):
            return False
        with self._lock:
            if not self.path.exists():
                return False
            self.path.unlink()
            self.released += 1
        log.error(
            "the gateway's disk is full: released the %s reserve to keep recording; free space now", self.path
        )
        return True

    def retry_when_full(self, write: Callable[[], T]) -> T:
        """Run ``write``; once more after releasing the reserve if the disk was full."""
        try:
            return write()
        except sqlite3.OperationalError as exc:
            if not self.release(exc):
                raise
            return write()
