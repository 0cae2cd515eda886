"""Which of several worker processes on one host runs the parts that must run once.

``posada cloud --workers N`` starts N processes serving HTTP on one port. MQTT ingest, the
command publisher, the alert loop, the stay clock and the message outbox run in one of them:
the first to take an exclusive lock on a file named after the database. The lock goes with the
process, so a worker that dies frees it and the one started in its place takes it over.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from pathlib import Path
from typing import IO


class Leadership:
    def __init__(self, database_url: str, *, directory: str | None = None) -> None:
        name = hashlib.sha256(database_url.encode()).hexdigest()[:16]
        self.path = Path(directory or tempfile.gettempdir(), f"posada-cloud-{name}.lock")
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        """True if this process now runs the single parts (and keeps the lock until it exits)."""
        if self._file is not None:
            return True
        handle = self.path.open("ab")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.truncate(0)
        handle.write(str(os.getpid()).encode())
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()
